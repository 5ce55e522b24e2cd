// JobStore: the state of asynchronous jobs (POST ... {"async": true}) for GET /v1/jobs/{id}.
//
// Bounded: past `capacity` jobs the oldest finished ones are forgotten (a later GET answers 404),
// and `evicted` counts them. Ids are random, so clients cannot guess each other's jobs.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace beautifyai {

enum class JobStatus : std::uint8_t { kQueued, kRunning, kDone, kFailed };
const char* to_string(JobStatus status);

struct JobState {
  JobStatus status = JobStatus::kQueued;
  int http_status = 0;  // of the result, once done or failed
  std::string result;   // the JSON body a synchronous request would have got
};

class JobStore {
 public:
  explicit JobStore(std::size_t capacity = 10'000) : capacity_(capacity) {}

  // A new queued job's id.
  [[nodiscard]] std::string create();
  void set_running(const std::string& id);
  void finish(const std::string& id, int http_status, std::string result);
  [[nodiscard]] std::optional<JobState> find(const std::string& id) const;
  [[nodiscard]] std::uint64_t evicted() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, JobState> jobs_;
  std::deque<std::string> order_;  // creation order, for eviction
  std::uint64_t evicted_ = 0;
};

}  // namespace beautifyai
