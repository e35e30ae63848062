/*
 * cpu.h - which instruction set the SIMD kernels use.
 *
 * Each hot kernel exists as a scalar reference and as per-ISA variants, each
 * compiled in its own file with its own flags (foo_avx2.c gets -mavx2 ...,
 * foo_avx512.c gets the AVX-512 flags), so the program stays portable. The
 * ISA is chosen once, at first use, from cpuid; WIREDUP_ISA=scalar|avx2|avx512
 * forces one (an unsupported choice makes wd_isa_select() fail, and the
 * automatic choice is kept). Every variant must give bit-identical results.
 */
#ifndef WD_COMMON_CPU_H
#define WD_COMMON_CPU_H

typedef enum wd_isa_t {
    WD_ISA_SCALAR = 0,
    WD_ISA_AVX2 = 1,     /* AVX2 + BMI2 */
    WD_ISA_AVX512 = 2    /* AVX-512 F, BW, DQ, VL */
} wd_isa_t;

/* The ISA in effect (chooses on first call). */
wd_isa_t wd_isa_active(void);

/* 1 when this CPU can run isa. */
int wd_isa_supported(wd_isa_t isa);

/* "scalar", "avx2", "avx512". */
const char *wd_isa_label(wd_isa_t isa);

#endif
