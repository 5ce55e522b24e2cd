// JobStore: the state of asynchronous jobs (POST ... {"async": true}, or submitted on /v1/stream)
// for GET /v1/jobs/{id} and for the clients of /v1/stream that follow a job's progress.
//
// Bounded: past `capacity` jobs the oldest are forgotten (a later GET answers 404), and `evicted`
// counts them; a job takes at most kMaxListenersPerJob listeners, the store kMaxListeners in all.
// Ids are random, so clients cannot guess each other's jobs.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include "lumen/core/internal/mutex.hpp"

namespace beautifyai {

enum class JobStatus : std::uint8_t { kQueued, kRunning, kDone, kFailed };
const char* to_string(JobStatus status);

struct JobState {
  JobStatus status = JobStatus::kQueued;
  std::string stage = "queued";  // finer than status while running: "optimizing_images", ...
  int http_status = 0;           // of the result, once done or failed
  std::string result;            // the JSON body a synchronous request would have got
};

// Hears of a job's changes. Called under the store's lock, so that every listener sees a job's
// changes in order: it must be quick and must not call the store.
using JobListener = std::function<void(const std::string& id, const JobState& state)>;

enum class Subscribed : std::uint8_t { kYes, kUnknownJob, kTooManyListeners };

class JobStore {
 public:
  static constexpr std::size_t kMaxListenersPerJob = 16;
  static constexpr std::size_t kMaxListeners = 10'000;

  explicit JobStore(std::size_t capacity = 10'000) : capacity_(capacity) {}

  // A new queued job's id.
  [[nodiscard]] std::string create();
  void set_running(const std::string& id, std::string stage = "running");
  void finish(const std::string& id, int http_status, std::string result);
  [[nodiscard]] std::optional<JobState> find(const std::string& id) const;
  [[nodiscard]] std::uint64_t evicted() const;

  // Calls `listener` with the job's state now, then with each change until the job has finished.
  // `owner` groups subscriptions for unsubscribe() (a stream connection's id).
  Subscribed subscribe(const std::string& id, std::uint64_t owner, JobListener listener);
  void unsubscribe(std::uint64_t owner);
  [[nodiscard]] std::size_t listeners() const;

 private:
  struct Listener {
    std::uint64_t owner;
    JobListener call;
  };
  void notify(const std::string& id, const JobState& state, bool last) LUMEN_REQUIRES(mutex_);

  const std::size_t capacity_;
  mutable lumen::internal::Mutex mutex_;
  std::unordered_map<std::string, JobState> jobs_ LUMEN_GUARDED_BY(mutex_);
  std::deque<std::string> order_ LUMEN_GUARDED_BY(mutex_);  // creation order, for eviction
  std::unordered_map<std::string, std::vector<Listener>> listeners_ LUMEN_GUARDED_BY(mutex_);
  std::size_t listener_count_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::uint64_t evicted_ LUMEN_GUARDED_BY(mutex_) = 0;
};

}  // namespace beautifyai
