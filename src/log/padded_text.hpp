// Text that a log line repeats (the service's members, the level's keys), copied with whole 32-byte
// stores. A copy whose size is known only at run time calls libc's memmove, and its start-up cost
// was 12 ns of the 72 that formatting a line took; constant-size copies are a few instructions.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace lumen::log::detail {

class PaddedText {
 public:
  static constexpr std::size_t kBlock = 32;

  PaddedText() : PaddedText(std::string_view()) {}
  explicit PaddedText(std::string_view text)
      : size_(text.size()),
        room_(text.empty() ? kBlock : (text.size() + kBlock - 1) / kBlock * kBlock),
        bytes_(std::make_unique<char[]>(room_)) {
    if (size_ != 0) std::memcpy(bytes_.get(), text.data(), size_);
  }

  // Writes the text at p, which has room(); the bytes past size() are scratch. Returns the end.
  char* write(char* p) const noexcept {
    for (std::size_t i = 0; i < room_; i += kBlock) std::memcpy(p + i, bytes_.get() + i, kBlock);
    return p + size_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t room() const noexcept { return room_; }

 private:
  std::size_t size_;
  std::size_t room_;  // size_ rounded up to whole blocks, at least one
  std::unique_ptr<char[]> bytes_;
};

}  // namespace lumen::log::detail
