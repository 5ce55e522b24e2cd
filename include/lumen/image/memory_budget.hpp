// MemoryBudget: admits image work by the memory its decoded pixels take, against one capacity
// shared by every call that uses the budget. A small file can decode to a large image (a 97 KB PNG
// to 100 MB of pixels), so a burst of such uploads, each admitted by a job count alone, can take
// gigabytes; with a budget, the work that does not fit is refused at once, with a reason the
// caller can turn into "retry later" (the budget is full) or "too large" (the image needs more
// than the whole budget), and nothing waits.
//
// When the last reservation is released (the budget goes idle), glibc's malloc_trim(0) hands the
// freed heap pages back to the system, so that a process does not keep the peak of a burst.
//
// Thread-safety: all methods may be called concurrently. The budget must outlive its reservations.
//
//   lumen::image::MemoryBudget budget({.capacity_bytes = std::uint64_t{512} << 20, .meter =
//   &meter}); lumen::image::ImageOptimizer optimizer({.memory_budget = &budget}); auto result =
//   optimizer.optimize_for_analysis(upload); if (!result && result.error().kind ==
//   lumen::image::ImageErrorKind::kBusy) {
//     // answer 503 with Retry-After: other images hold the budget now
//   }
//
//   // Or by hand, for work of one's own:
//   lumen::image::MemoryBudget::Reservation r = budget.try_reserve(decoded_bytes(metadata));
//   if (r.admission() == lumen::image::Admission::kAdmitted) { /* decode... */ }  // released by ~r
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "lumen/image/image_optimizer.hpp"
#include "lumen/metrics/meter.hpp"

namespace lumen::image {

// The bytes an image's decoded pixels take: width x height x bands x bytes per band, of one page,
// from the header alone (read_metadata). Processing adds buffers of its own on top.
[[nodiscard]] std::uint64_t decoded_bytes(const ImageMetadata& metadata) noexcept;

struct MemoryBudgetOptions {
  std::uint64_t capacity_bytes = std::uint64_t{512} << 20;
  bool trim_when_idle = true;  // malloc_trim(0) when the last reservation is released (glibc)
  // Optional: gauges image.memory.budget.usage and image.memory.budget.limit (By), and the counter
  // image.memory.budget.refused {reason = full | larger_than_budget}. Must outlive the budget.
  metrics::Meter* meter = nullptr;
};

enum class Admission : unsigned char {
  kAdmitted,
  kFull,              // other reservations hold too much of the budget now: retry later
  kLargerThanBudget,  // more than the whole capacity: it will never fit
};

struct MemoryBudgetStats {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t peak_bytes = 0;
  std::uint64_t admitted = 0;
  std::uint64_t refused_full = 0;
  std::uint64_t refused_larger_than_budget = 0;
};

class MemoryBudget {
 public:
  // Holds `bytes` of the budget from an admitted try_reserve() until it is released or destroyed.
  // A refused one holds nothing.
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&& other) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation() { release(); }

    [[nodiscard]] Admission admission() const noexcept { return admission_; }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
    void release() noexcept;

   private:
    friend class MemoryBudget;
    Reservation(MemoryBudget* budget, std::uint64_t bytes, Admission admission) noexcept
        : budget_(budget), bytes_(bytes), admission_(admission) {}
    MemoryBudget* budget_;  // null once released, or when refused
    std::uint64_t bytes_;
    Admission admission_;
  };

  explicit MemoryBudget(MemoryBudgetOptions options = {});
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Admitted when `bytes` fit in what is left; never waits.
  [[nodiscard]] Reservation try_reserve(std::uint64_t bytes);

  [[nodiscard]] MemoryBudgetStats stats() const;
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return options_.capacity_bytes; }

 private:
  void release(std::uint64_t bytes) noexcept;

  const MemoryBudgetOptions options_;
  mutable std::mutex mutex_;
  MemoryBudgetStats stats_;  // GUARDED_BY(mutex_)
  std::optional<metrics::Counter<std::int64_t>> refused_;
  metrics::ObservableRegistration usage_gauge_;
  metrics::ObservableRegistration limit_gauge_;
};

}  // namespace lumen::image
