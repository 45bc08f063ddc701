// Counts heap allocations made by this thread inside a CountAllocations scope, by replacing the
// global operator new. Include it in exactly ONE source file of a test binary (it defines the
// replacement operators). Used to prove that hot paths make no heap allocation.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace vpcdns::test {
inline thread_local bool g_counting_allocations = false;
inline thread_local size_t g_allocations = 0;

// Resets the count on entry; allocations() is what this thread allocated since.
struct CountAllocations {
  CountAllocations() {
    g_allocations = 0;
    g_counting_allocations = true;
  }
  ~CountAllocations() { g_counting_allocations = false; }
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;
  size_t allocations() const { return g_allocations; }
};
}  // namespace vpcdns::test

// The replacements pair malloc with free, which GCC's -Wmismatched-new-delete cannot see
// through once inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
  if (vpcdns::test::g_counting_allocations) ++vpcdns::test::g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
