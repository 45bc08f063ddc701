// Unpredictable numbers for query IDs, source ports, 0x20 bits and hash seeds.
// Thread-safe; backed by getrandom(2) with a per-thread buffer.
#pragma once

#include <cstdint>
#include <span>

namespace vpcdns {

void randomBytes(std::span<uint8_t> out);
uint16_t random16();
uint32_t random32();
uint64_t random64();
// Uniform in [0, bound) without modulo bias; bound > 0.
uint32_t randomBelow(uint32_t bound);

}  // namespace vpcdns
