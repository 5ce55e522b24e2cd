#include "log/record.hpp"

namespace lumen::log::detail {

std::size_t encoded_list_size(const Value& v, std::size_t level) noexcept {
  if (level > kMaxValueDepth) return 5 + kTooDeepMarker.size();
  std::size_t n = 5;
  const std::size_t count = clamp_u32(v.size());
  for (std::size_t i = 0; i < count; ++i) {
    n += v.kind() == Value::Kind::kObject ? encoded_size(v.object_begin()[i], level + 1)
                                          : encoded_size(v.array_begin()[i], level + 1);
  }
  return n;
}

char* put_list(char* p, const Value& v, std::size_t level) noexcept {
  if (level > kMaxValueDepth) {
    *p++ = static_cast<char>(Value::Kind::kString);
    return put_str(p, kTooDeepMarker);
  }
  *p++ = static_cast<char>(v.kind());
  const std::size_t count = clamp_u32(v.size());
  p = put_u32(p, count);
  for (std::size_t i = 0; i < count; ++i) {
    p = v.kind() == Value::Kind::kObject ? put_field(p, v.object_begin()[i], level + 1)
                                         : put_value(p, v.array_begin()[i], level + 1);
  }
  return p;
}

}  // namespace lumen::log::detail
