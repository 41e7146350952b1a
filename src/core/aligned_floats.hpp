// A growable float array whose start is 64-byte aligned, so the scan kernels
// can use aligned loads on row-major vectors. Growth copies (like
// std::vector) and is amortised by doubling.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace nvdb {

class AlignedFloats {
 public:
  AlignedFloats() = default;
  AlignedFloats(const AlignedFloats &) = delete;
  AlignedFloats &operator=(const AlignedFloats &) = delete;
  AlignedFloats(AlignedFloats &&o) noexcept { swap(o); }
  AlignedFloats &operator=(AlignedFloats &&o) noexcept {
    swap(o);
    return *this;
  }
  ~AlignedFloats() { std::free(data_); }

  float *data() { return data_; }
  const float *data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

  // Makes room for at least n floats, keeping the first `keep` of them.
  // Throws std::bad_alloc and leaves the array unchanged on failure.
  void reserve(std::size_t n, std::size_t keep) {
    if (n <= capacity_) return;
    std::size_t cap = capacity_ ? capacity_ : 64;
    while (cap < n) cap *= 2;
    std::size_t bytes = (cap * sizeof(float) + 63) / 64 * 64;
    auto *fresh = static_cast<float *>(std::aligned_alloc(64, bytes));
    if (!fresh) throw std::bad_alloc();
    if (keep) std::memcpy(fresh, data_, keep * sizeof(float));
    std::free(data_);
    data_ = fresh;
    capacity_ = cap;
  }

  void swap(AlignedFloats &o) noexcept {
    std::swap(data_, o.data_);
    std::swap(capacity_, o.capacity_);
  }

 private:
  float *data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace nvdb
