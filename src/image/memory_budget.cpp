#include "lumen/image/memory_budget.hpp"

#include <algorithm>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lumen::image {

std::uint64_t decoded_bytes(const ImageMetadata& metadata) noexcept {
  const auto width = static_cast<std::uint64_t>(std::max(metadata.width, 0));
  const auto height = static_cast<std::uint64_t>(std::max(metadata.height, 0));
  const auto bands = static_cast<std::uint64_t>(std::max(metadata.bands, 1));
  const auto bytes_per_band =
      static_cast<std::uint64_t>((std::max(metadata.bits_per_sample, 1) + 7) / 8);
  return width * height * bands * bytes_per_band;
}

MemoryBudget::Reservation::Reservation(Reservation&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)),
      bytes_(other.bytes_),
      admission_(other.admission_) {}

MemoryBudget::Reservation& MemoryBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = other.bytes_;
    admission_ = other.admission_;
  }
  return *this;
}

void MemoryBudget::Reservation::release() noexcept {
  if (budget_ != nullptr) std::exchange(budget_, nullptr)->release(bytes_);
}

MemoryBudget::MemoryBudget(MemoryBudgetOptions options) : options_(options) {
  stats_.capacity_bytes = options_.capacity_bytes;
  if (options_.meter == nullptr) return;
  refused_ = options_.meter->create_counter<std::int64_t>(
      "image.memory.budget.refused",
      {.description = "Images refused by the memory budget (reason=full: retry later; "
                      "larger_than_budget: never fits)"});
  usage_gauge_ = options_.meter->create_observable_gauge(
      "image.memory.budget.usage",
      [this](metrics::ObserverResult& r) {
        r.observe(static_cast<std::int64_t>(stats().used_bytes));
      },
      {.description = "Decoded image bytes admitted and still being processed", .unit = "By"});
  limit_gauge_ = options_.meter->create_observable_gauge(
      "image.memory.budget.limit",
      [this](metrics::ObserverResult& r) {
        r.observe(static_cast<std::int64_t>(options_.capacity_bytes));
      },
      {.description = "Capacity of the image memory budget", .unit = "By"});
}

MemoryBudget::Reservation MemoryBudget::try_reserve(std::uint64_t bytes) {
  Admission admission = Admission::kAdmitted;
  {
    std::lock_guard lock(mutex_);
    if (bytes > options_.capacity_bytes) {
      admission = Admission::kLargerThanBudget;
      ++stats_.refused_larger_than_budget;
    } else if (bytes > options_.capacity_bytes - stats_.used_bytes) {
      admission = Admission::kFull;
      ++stats_.refused_full;
    } else {
      stats_.used_bytes += bytes;
      stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.used_bytes);
      ++stats_.admitted;
      return {this, bytes, admission};
    }
  }
  if (refused_) {
    refused_->add(1, {{"reason", admission == Admission::kFull ? "full" : "larger_than_budget"}});
  }
  return {nullptr, bytes, admission};
}

void MemoryBudget::release(std::uint64_t bytes) noexcept {
  bool idle = false;
  {
    std::lock_guard lock(mutex_);
    stats_.used_bytes -= bytes;
    idle = bytes > 0 && stats_.used_bytes == 0;
  }
#if defined(__GLIBC__)
  // The decoded pixels and libvips's buffers of a burst are freed by now, but glibc keeps the
  // pages in its arenas (hundreds of MB after a few large images) until asked to return them.
  if (idle && options_.trim_when_idle) malloc_trim(0);
#else
  (void)idle;
#endif
}

MemoryBudgetStats MemoryBudget::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace lumen::image
