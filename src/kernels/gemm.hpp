// The matrix-product kernels behind batch queries: dot products of a block of
// stored rows with a block of queries, computed as a blocked GEMM so that
// each value loaded from memory feeds many multiply-adds (a batch is bound by
// arithmetic, not by memory, unlike a single query).
//
// Both operands are packed first into panels laid out for the micro-kernel:
// a row panel holds rows_per_panel rows and a query panel queries_per_panel
// queries, each as dim steps of that many floats (panel[k * width + i] is
// component k of member i). Members past the end are zero. As for the scan
// kernels, each instruction set has its own compiled copy, chosen at run time.
//
// Why not OpenBLAS's sgemm: the library would then depend on a BLAS at run
// time, and Debian 12's OpenBLAS 0.3.21 starts its own threads (the pthread
// flavour is the default libopenblas0). Called from the library's pool, it
// must be kept to one thread, and openblas_set_num_threads(1) is global to
// the process: it would also slow down the application's own BLAS calls. The
// serial flavour (openblas-serial) has the same soname, so which one a
// process gets is decided by whichever is loaded first, not by nvdb. Our own
// micro-kernel keeps every thread in the one pool (no oversubscription) and
// measured as fast as OpenBLAS's sgemm of the same product on this machine's
// AVX-512 (bench/nvdb_bench.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nvdb::kernels {

struct GemmKernel {
  const char *isa;
  std::size_t rows_per_panel;     // MR: the rows one micro-kernel call scores
  std::size_t queries_per_panel;  // NR: the queries one call scores
  // For i < MR, j < NR: c[j * ldc + i] = sum over k < kc of rows[k * MR + i] *
  // queries[k * NR + j], added to what c holds when accumulate is set.
  // rows is 64-byte aligned and ldc a multiple of 16.
  void (*micro)(const float *rows, const float *queries, std::size_t kc, float *c,
                std::size_t ldc, bool accumulate);
};

// The kernel for the instruction set the scan kernels use (kernels.hpp:
// active(), NVDB_KERNEL), so that both paths run the same ISA.
const GemmKernel &active_gemm();

// The kernel for an instruction set, or nullptr if this CPU lacks it.
const GemmKernel *gemm_kernel(const char *isa);

// Packs count vectors (vector m is at src + index(m) * dim) into panels of
// `width` members: out must hold ceil(count / width) * width * dim floats.
// index may be nullptr for vectors 0 .. count - 1.
void pack_panels(const float *src, const std::uint32_t *index, std::size_t count, std::size_t dim,
                 std::size_t width, float *out);

}  // namespace nvdb::kernels
