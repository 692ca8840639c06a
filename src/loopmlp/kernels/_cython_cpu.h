#ifndef LOOPMLP_CYTHON_CPU_H
#define LOOPMLP_CYTHON_CPU_H

/* The CPU checks of _cython.pyx (CPU_HAS_AVX2, CPU_HAS_AVX512). The same source is built
   three times, for SSE2, AVX2 and AVX-512 (setup.py); code for instructions the CPU lacks
   could crash when imported, so these run in the SSE2 build, which loopmlp imports first
   (_cython_native.py). */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
static int loopmlp_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static int loopmlp_cpu_has_avx512(void) {  /* F and VL, as setup.py builds for */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}
#else
static int loopmlp_cpu_has_avx2(void) { return 0; }
static int loopmlp_cpu_has_avx512(void) { return 0; }
#endif

#endif
