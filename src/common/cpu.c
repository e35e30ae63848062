/* cpu.c - ISA detection and selection (see cpu.h). */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

/* -1 until chosen. Written once before threads start in practice; a racing
 * first call computes the same value, so a plain int is enough. */
static int active = -1;

int wd_isa_supported(wd_isa_t isa)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    switch (isa) {
    case WD_ISA_SCALAR: return 1;
    case WD_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
    case WD_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    }
    return 0;
#else
    return isa == WD_ISA_SCALAR;
#endif
}

const char *wd_isa_label(wd_isa_t isa)
{
    switch (isa) {
    case WD_ISA_SCALAR: return "scalar";
    case WD_ISA_AVX2: return "avx2";
    case WD_ISA_AVX512: return "avx512";
    }
    return "unknown";
}

static wd_isa_t best(void)
{
    if (wd_isa_supported(WD_ISA_AVX512)) return WD_ISA_AVX512;
    if (wd_isa_supported(WD_ISA_AVX2)) return WD_ISA_AVX2;
    return WD_ISA_SCALAR;
}

wd_isa_t wd_isa_active(void)
{
    if (active < 0) {
        const char *env = getenv("WIREDUP_ISA");
        active = best();
        if (env && *env) wd_isa_select(env); /* on failure the best one stays */
    }
    return (wd_isa_t)active;
}

int wd_isa_select(const char *name)
{
    wd_isa_t isa;
    if (!name) return WD_E_INVALID;
    if (!strcmp(name, "scalar")) isa = WD_ISA_SCALAR;
    else if (!strcmp(name, "avx2")) isa = WD_ISA_AVX2;
    else if (!strcmp(name, "avx512")) isa = WD_ISA_AVX512;
    else if (!strcmp(name, "auto")) isa = best();
    else return WD_E_INVALID;
    if (!wd_isa_supported(isa)) return WD_E_UNSUPPORTED;
    active = (int)isa;
    return WD_OK;
}

const char *wd_isa(void)
{
    return wd_isa_label(wd_isa_active());
}
