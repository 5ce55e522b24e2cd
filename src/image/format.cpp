#include <optional>
#include <string_view>

#include "lumen/image/image_error.hpp"
#include "lumen/image/image_optimizer.hpp"

namespace lumen::image {

std::string_view to_string(ImageErrorKind kind) noexcept {
  switch (kind) {
    case ImageErrorKind::kEmpty:
      return "empty";
    case ImageErrorKind::kNotAnImage:
      return "not_an_image";
    case ImageErrorKind::kUnsupportedFormat:
      return "unsupported_format";
    case ImageErrorKind::kCorrupt:
      return "corrupt";
    case ImageErrorKind::kTooLarge:
      return "too_large";
    case ImageErrorKind::kTimeout:
      return "timeout";
    case ImageErrorKind::kInvalidOptions:
      return "invalid_options";
    case ImageErrorKind::kInternal:
      return "internal";
    case ImageErrorKind::kBusy:
      return "busy";
  }
  return "internal";
}

std::string_view to_string(Format format) noexcept {
  switch (format) {
    case Format::kJpeg:
      return "jpeg";
    case Format::kWebp:
      return "webp";
    case Format::kPng:
      return "png";
  }
  return "jpeg";
}

std::string_view extension(Format format) noexcept {
  switch (format) {
    case Format::kJpeg:
      return ".jpg";
    case Format::kWebp:
      return ".webp";
    case Format::kPng:
      return ".png";
  }
  return ".jpg";
}

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "jpeg" || name == "jpg") return Format::kJpeg;
  if (name == "webp") return Format::kWebp;
  if (name == "png") return Format::kPng;
  return std::nullopt;
}

}  // namespace lumen::image
