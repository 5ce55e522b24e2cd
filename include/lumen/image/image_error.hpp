// ImageError and ImageResult<T>: how the image optimizer reports an image it cannot process.
//
// Bad input is expected (users upload anything), so the optimizer never throws for it: every call
// returns an ImageResult that holds either the value or an ImageError with a kind to branch on and
// a message for people. Only a broken installation (libvips fails to start) throws lumen::Error.
//
//   lumen::image::ImageResult<lumen::image::OptimizedImage> r =
//   optimizer.optimize_for_analysis(bytes); if (!r) {
//     if (r.error().kind == lumen::image::ImageErrorKind::kTooLarge) return reject_413();
//     return reject_400(r.error().message);
//   }
//   store(r.value().bytes);
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "lumen/core/error.hpp"

namespace lumen::image {

enum class ImageErrorKind : unsigned char {
  kEmpty,              // zero bytes
  kNotAnImage,         // no image format recognised
  kUnsupportedFormat,  // an image format we do not decode (SVG, PDF, BMP via ImageMagick...)
  kCorrupt,            // recognised, but the header or the pixel data is broken or truncated
  kTooLarge,           // the header declares more pixels (or the input has more bytes) than allowed
  kTimeout,            // processing ran past the per-image time budget
  kInvalidOptions,     // quality outside 1..100, a zero size...
  kInternal,           // libvips failed for another reason (out of memory, an encoder error)
  kBusy,               // the memory budget is taken by other images now: retry later
};

[[nodiscard]] std::string_view to_string(ImageErrorKind kind) noexcept;

struct ImageError {
  ImageErrorKind kind = ImageErrorKind::kInternal;
  std::string message;
};

// Either a T or an ImageError. value() on an error throws lumen::Error (a programming mistake:
// check the result first).
template <typename T>
class [[nodiscard]] ImageResult {
 public:
  ImageResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  ImageResult(ImageError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & { return std::get<0>(checked()); }
  [[nodiscard]] const T& value() const& { return std::get<0>(checked()); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(checked())); }
  [[nodiscard]] const ImageError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, ImageError>& checked() {
    if (!ok()) throw Error("ImageResult::value() on an error: " + std::get<1>(state_).message);
    return state_;
  }
  const std::variant<T, ImageError>& checked() const {
    if (!ok()) throw Error("ImageResult::value() on an error: " + std::get<1>(state_).message);
    return state_;
  }
  std::variant<T, ImageError> state_;
};

}  // namespace lumen::image
