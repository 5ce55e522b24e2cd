#include "job_store.hpp"

#include "lumen/core/id_generator.hpp"

namespace beautifyai {

const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::kQueued: return "queued";
    case JobStatus::kRunning: return "running";
    case JobStatus::kDone: return "done";
    case JobStatus::kFailed: return "failed";
  }
  return "queued";
}

std::string JobStore::create() {
  std::string id = lumen::IdGenerator::trace_id().to_hex();
  std::lock_guard lock(mutex_);
  // Forget the oldest jobs first; a job still running when forgotten just answers nobody.
  while (jobs_.size() >= capacity_ && !order_.empty()) {
    jobs_.erase(order_.front());
    order_.pop_front();
    ++evicted_;
  }
  jobs_.emplace(id, JobState{});
  order_.push_back(id);
  return id;
}

void JobStore::set_running(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto it = jobs_.find(id); it != jobs_.end()) it->second.status = JobStatus::kRunning;
}

void JobStore::finish(const std::string& id, int http_status, std::string result) {
  std::lock_guard lock(mutex_);
  if (auto it = jobs_.find(id); it != jobs_.end()) {
    it->second.status = http_status < 400 ? JobStatus::kDone : JobStatus::kFailed;
    it->second.http_status = http_status;
    it->second.result = std::move(result);
  }
}

std::optional<JobState> JobStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  if (auto it = jobs_.find(id); it != jobs_.end()) return it->second;
  return std::nullopt;
}

std::uint64_t JobStore::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

}  // namespace beautifyai
