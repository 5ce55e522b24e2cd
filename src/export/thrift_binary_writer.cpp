#include "export/thrift_binary_writer.hpp"

#include <bit>
#include <limits>

namespace lumen::exporters::detail {

void ThriftBinaryWriter::write_be(std::uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out_.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> shift)));
  }
}

void ThriftBinaryWriter::field_begin(ThriftType type, std::int16_t id) {
  out_.push_back(static_cast<char>(type));
  write_i16(id);
}

void ThriftBinaryWriter::list_begin(ThriftType element_type, std::int32_t size) {
  out_.push_back(static_cast<char>(element_type));
  write_i32(size);
}

std::size_t ThriftBinaryWriter::list_begin_unsized(ThriftType element_type) {
  out_.push_back(static_cast<char>(element_type));
  const std::size_t handle = out_.size();
  write_i32(0);
  return handle;
}

void ThriftBinaryWriter::list_set_size(std::size_t handle, std::int32_t size) noexcept {
  const auto v = std::bit_cast<std::uint32_t>(size);
  for (std::size_t i = 0; i < 4; ++i) {
    out_[handle + i] = static_cast<char>(static_cast<std::uint8_t>(v >> (24 - 8 * i)));
  }
}

void ThriftBinaryWriter::write_i16(std::int16_t v) {
  write_be(std::bit_cast<std::uint16_t>(v), 2);
}

void ThriftBinaryWriter::write_i32(std::int32_t v) {
  write_be(std::bit_cast<std::uint32_t>(v), 4);
}

void ThriftBinaryWriter::write_i64(std::int64_t v) {
  write_be(std::bit_cast<std::uint64_t>(v), 8);
}

void ThriftBinaryWriter::write_double(double v) {
  static_assert(std::numeric_limits<double>::is_iec559, "Thrift doubles are IEEE 754 binary64");
  write_be(std::bit_cast<std::uint64_t>(v), 8);
}

void ThriftBinaryWriter::write_string(std::string_view v) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  const std::size_t n = v.size() < kMax ? v.size() : kMax;
  write_i32(static_cast<std::int32_t>(n));
  out_.append(v.data(), n);
}

void ThriftBinaryWriter::field_bool(std::int16_t id, bool v) {
  field_begin(ThriftType::kBool, id);
  write_bool(v);
}

void ThriftBinaryWriter::field_i32(std::int16_t id, std::int32_t v) {
  field_begin(ThriftType::kI32, id);
  write_i32(v);
}

void ThriftBinaryWriter::field_i64(std::int16_t id, std::int64_t v) {
  field_begin(ThriftType::kI64, id);
  write_i64(v);
}

void ThriftBinaryWriter::field_double(std::int16_t id, double v) {
  field_begin(ThriftType::kDouble, id);
  write_double(v);
}

void ThriftBinaryWriter::field_string(std::int16_t id, std::string_view v) {
  field_begin(ThriftType::kString, id);
  write_string(v);
}

}  // namespace lumen::exporters::detail
