#ifndef LOOPMLP_CYTHON_CPU_H
#define LOOPMLP_CYTHON_CPU_H

/* The CPU checks of _cython.pyx (CPU_HAS_AVX2, CPU_HAS_AVX512). On x86-64 the same source is
   built three times, for SSE2, AVX2 and AVX-512 (setup.py); code for instructions the CPU
   lacks could crash when imported, so these run in the SSE2 build, which loopmlp imports
   first (_cython_native.py). Off x86 there is only that one build: all say 0.
   loopmlp_cpu_is_amd_family25: an AMD of family 25 (0x19: Zen 3 and Zen 4, whose AVX-512
   runs 512-bit vectors in two 256-bit halves); _cython.pyx says what it decides. */

/* 1 in the AVX-512 build with 512-bit vectors (setup.py's -DLOOPMLP_ZMM=1): there a pass
   through one panel takes eight float64 rows, not four (_pass_rows), and the deep net's
   predict may run eight rows through two panels a pass (_panel_block16, _panel_block32),
   its sums in 16 of the 32 registers, where the CPU gains by it (_cython.pyx's
   _two_panels). */
#if defined(LOOPMLP_ZMM) && defined(__AVX512F__)
#define LOOPMLP_MANY_REGISTERS 1
#else
#define LOOPMLP_MANY_REGISTERS 0
#endif

#if defined(_MSC_VER) && !defined(__clang__)
/* Before Visual Studio 2022, /fp:precise let MSVC fuse a*b+c into an FMA under /arch:AVX2;
   the reference rounds twice (setup.py). Cython includes this header before any kernel. */
#pragma fp_contract(off)
#endif

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
/* gcc and clang: their checks include the OS's (XGETBV) for the wide registers. */
static int loopmlp_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static int loopmlp_cpu_has_avx512(void) {  /* F and VL, as setup.py builds for */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}
#include <cpuid.h>
static int loopmlp_cpu_is_amd_family25(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    if (b != 0x68747541u || d != 0x69746e65u || c != 0x444d4163u) return 0;  /* AuthenticAMD */
    __get_cpuid(1, &a, &b, &c, &d);
    return ((a >> 8) & 0xf) == 0xf && ((a >> 20) & 0xff) == 25 - 0xf;
}
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
/* MSVC: CPUID and XGETBV by hand. The CPU must have the instructions and the OS must save
   their registers (XCR0: SSE and AVX state, bits 1-2; AVX-512's opmask and upper registers,
   bits 5-7). /arch:AVX512 (setup.py) may use F, CD, BW, DQ and VL: all five are asked for.
   Not compiled by the project's CI, which has no MSVC. */
#include <intrin.h>
static int loopmlp_cpu_avx_base(int xcr0_bits) {  /* AVX2, FMA, and the OS saves xcr0_bits */
    int r[4];
    __cpuid(r, 0);
    if (r[0] < 7) return 0;
    __cpuid(r, 1);
    if (!((r[2] >> 12) & 1) || !((r[2] >> 27) & 1) || !((r[2] >> 28) & 1))
        return 0;  /* FMA, OSXSAVE, AVX */
    if ((_xgetbv(0) & xcr0_bits) != xcr0_bits) return 0;
    __cpuidex(r, 7, 0);
    return (r[1] >> 5) & 1;  /* EBX bit 5: AVX2 */
}
static int loopmlp_cpu_has_avx2(void) {
    return loopmlp_cpu_avx_base(0x6);
}
static int loopmlp_cpu_has_avx512(void) {
    int r[4];
    const unsigned mask = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    if (!loopmlp_cpu_avx_base(0xE6)) return 0;
    __cpuidex(r, 7, 0);  /* EBX: F 16, DQ 17, CD 28, BW 30, VL 31 */
    return ((unsigned)r[1] & mask) == mask;
}
static int loopmlp_cpu_is_amd_family25(void) {
    int r[4];
    __cpuid(r, 0);  /* the vendor in EBX, EDX, ECX */
    if (r[1] != 0x68747541 || r[3] != 0x69746e65 || r[2] != 0x444d4163) return 0;
    __cpuid(r, 1);
    return ((r[0] >> 8) & 0xf) == 0xf && ((r[0] >> 20) & 0xff) == 25 - 0xf;
}
#else
/* not x86: no wide builds to choose between */
static int loopmlp_cpu_has_avx2(void) { return 0; }
static int loopmlp_cpu_has_avx512(void) { return 0; }
static int loopmlp_cpu_is_amd_family25(void) { return 0; }
#endif

#endif
