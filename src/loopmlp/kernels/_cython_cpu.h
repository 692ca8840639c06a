#ifndef LOOPMLP_CYTHON_CPU_H
#define LOOPMLP_CYTHON_CPU_H

/* The CPU checks of _cython.pyx (CPU_HAS_AVX2, CPU_HAS_AVX512). On x86-64 the same source is
   built three times, for SSE2, AVX2 and AVX-512 (setup.py); code for instructions the CPU
   lacks could crash when imported, so these run in the SSE2 build, which loopmlp imports
   first (_cython_native.py). Off x86 there is only that one build: both say 0. */

/* 1 in the AVX-512 build with 512-bit vectors (setup.py's -DLOOPMLP_ZMM=1): there the deep
   net's predict runs eight rows through two panels a pass (_panel_block16, _panel_block32),
   its sums in 16 of the 32 registers, and a pass through one panel takes eight float64
   rows, not four (_pass_rows). */
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
#else
/* not x86: no wide builds to choose between */
static int loopmlp_cpu_has_avx2(void) { return 0; }
static int loopmlp_cpu_has_avx512(void) { return 0; }
#endif

#endif
