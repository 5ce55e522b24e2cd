// ThriftBinaryWriter: appends values in the Thrift binary protocol (big-endian, strict lengths) to
// a byte string. Only what encoding a struct needs: field headers, the stop field, scalars,
// strings/binaries and list headers. The caller writes fields in any id order and nests structs by
// opening a field of type kStruct and closing it with field_stop().
// Thread-safety: none; one writer per buffer.
//
//   std::string out;
//   lumen::exporters::detail::ThriftBinaryWriter w(out);
//   w.field_i64(1, trace_id_low);
//   w.field_string(5, "GET /users");
//   w.field_stop();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lumen::exporters::detail {

// Type ids of the Thrift wire format.
enum class ThriftType : std::uint8_t {
  kStop = 0,
  kBool = 2,
  kByte = 3,
  kDouble = 4,
  kI16 = 6,
  kI32 = 8,
  kI64 = 10,
  kString = 11,  // also binary
  kStruct = 12,
  kMap = 13,
  kSet = 14,
  kList = 15,
};

class ThriftBinaryWriter {
 public:
  explicit ThriftBinaryWriter(std::string& out) noexcept : out_(out) {}

  void field_begin(ThriftType type, std::int16_t id);
  // Ends the current struct.
  void field_stop() { write_byte(static_cast<std::int8_t>(ThriftType::kStop)); }
  // A list of `size` elements of `element_type` follows.
  void list_begin(ThriftType element_type, std::int32_t size);
  // For lists whose length is known only once written: begin with a placeholder size and
  // patch it with list_set_size(handle, n) afterwards.
  [[nodiscard]] std::size_t list_begin_unsized(ThriftType element_type);
  void list_set_size(std::size_t handle, std::int32_t size) noexcept;

  void write_bool(bool v) { write_byte(v ? 1 : 0); }
  void write_byte(std::int8_t v) { out_.push_back(static_cast<char>(v)); }
  void write_i16(std::int16_t v);
  void write_i32(std::int32_t v);
  void write_i64(std::int64_t v);
  void write_double(double v);
  // A string or binary: i32 length, then the bytes. Values longer than the protocol's i32 length
  // can express are cut at that length.
  void write_string(std::string_view v);

  // Field header and value in one call.
  void field_bool(std::int16_t id, bool v);
  void field_i32(std::int16_t id, std::int32_t v);
  void field_i64(std::int16_t id, std::int64_t v);
  void field_double(std::int16_t id, double v);
  void field_string(std::int16_t id, std::string_view v);

 private:
  void write_be(std::uint64_t v, int bytes);
  std::string& out_;
};

}  // namespace lumen::exporters::detail
