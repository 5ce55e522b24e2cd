// Just enough of a protobuf reader for the small messages receivers answer with (OTLP responses,
// google.rpc.Status and its details); any malformation sets !ok(). Never throws.
//
//   ProtoReader r(bytes);
//   std::uint32_t field = 0;
//   WireType type{};
//   while (r.next(field, type)) {
//     if (field == 1 && type == WireType::kVarint) count = r.varint(); else r.skip(type);
//   }
//   if (!r.ok()) ...  // malformed
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "export/otlp_proto_encoder.hpp"  // WireType

namespace lumen::exporters::detail {

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) noexcept : data_(data) {}

  [[nodiscard]] bool ok() const noexcept { return ok_; }

  // Reads the next field's tag; false at the end or on malformed input.
  bool next(std::uint32_t& field, WireType& type) noexcept {
    if (!ok_ || pos_ >= data_.size()) return false;
    const std::uint64_t tag = varint();
    field = static_cast<std::uint32_t>(tag >> 3);
    type = static_cast<WireType>(tag & 7);
    return ok_ && field != 0;
  }

  std::uint64_t varint() noexcept {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) break;
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }

  std::string_view length_delimited() noexcept {
    const std::uint64_t size = varint();
    if (!ok_ || size > data_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string_view out = data_.substr(pos_, static_cast<std::size_t>(size));
    pos_ += static_cast<std::size_t>(size);
    return out;
  }

  void skip(WireType type) noexcept {
    switch (type) {
      case WireType::kVarint:
        (void)varint();
        return;
      case WireType::kFixed64:
        advance(8);
        return;
      case WireType::kFixed32:
        advance(4);
        return;
      case WireType::kLengthDelimited:
        (void)length_delimited();
        return;
    }
    ok_ = false;  // groups and unknown wire types: not in these messages
  }

 private:
  void advance(std::size_t n) noexcept {
    if (n > data_.size() - pos_) {
      ok_ = false;
      return;
    }
    pos_ += n;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace lumen::exporters::detail
