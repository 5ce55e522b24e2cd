#include "job_store.hpp"

#include <cstdio>
#include <random>

namespace beautifyai {

namespace {

// 128 random bits as 32 hex digits. Ids need to be unique, not secret; the engine is seeded with
// 128 bits so that two threads (or two replicas) do not start from the same state.
std::string new_job_id() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(engine()),
                static_cast<unsigned long long>(engine()));
  return std::string(hex, 32);
}

}  // namespace

const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::kQueued:
      return "queued";
    case JobStatus::kRunning:
      return "running";
    case JobStatus::kDone:
      return "done";
    case JobStatus::kFailed:
      return "failed";
  }
  return "queued";
}

std::string JobStore::create() {
  std::string id = new_job_id();
  lumen::internal::MutexLock lock(mutex_);
  // Forget the oldest jobs first; a job still running when forgotten just answers nobody.
  while (jobs_.size() >= capacity_ && !order_.empty()) {
    jobs_.erase(order_.front());
    if (auto it = listeners_.find(order_.front()); it != listeners_.end()) {
      listener_count_ -= it->second.size();
      listeners_.erase(it);
    }
    order_.pop_front();
    ++evicted_;
  }
  jobs_.emplace(id, JobState{});
  order_.push_back(id);
  return id;
}

void JobStore::set_running(const std::string& id, std::string stage) {
  lumen::internal::MutexLock lock(mutex_);
  if (auto it = jobs_.find(id); it != jobs_.end()) {
    it->second.status = JobStatus::kRunning;
    it->second.stage = std::move(stage);
    notify(id, it->second, false);
  }
}

void JobStore::finish(const std::string& id, int http_status, std::string result) {
  lumen::internal::MutexLock lock(mutex_);
  if (auto it = jobs_.find(id); it != jobs_.end()) {
    it->second.status = http_status < 400 ? JobStatus::kDone : JobStatus::kFailed;
    it->second.stage = to_string(it->second.status);
    it->second.http_status = http_status;
    it->second.result = std::move(result);
    notify(id, it->second, true);
  }
}

void JobStore::notify(const std::string& id, const JobState& state, bool last) {
  const auto it = listeners_.find(id);
  if (it == listeners_.end()) return;
  for (const Listener& listener : it->second) listener.call(id, state);
  if (!last) return;
  listener_count_ -= it->second.size();
  listeners_.erase(it);
}

Subscribed JobStore::subscribe(const std::string& id, std::uint64_t owner, JobListener listener) {
  lumen::internal::MutexLock lock(mutex_);
  const auto job = jobs_.find(id);
  if (job == jobs_.end()) return Subscribed::kUnknownJob;
  const JobState& state = job->second;
  const bool finished = state.status == JobStatus::kDone || state.status == JobStatus::kFailed;
  if (finished) {  // nothing more will happen: the state now is all there is
    listener(id, state);
    return Subscribed::kYes;
  }
  auto& subscribed = listeners_[id];
  if (subscribed.size() >= kMaxListenersPerJob || listener_count_ >= kMaxListeners) {
    if (subscribed.empty()) listeners_.erase(id);
    return Subscribed::kTooManyListeners;
  }
  listener(id, state);
  subscribed.push_back({owner, std::move(listener)});
  ++listener_count_;
  return Subscribed::kYes;
}

void JobStore::unsubscribe(std::uint64_t owner) {
  lumen::internal::MutexLock lock(mutex_);
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    auto& list = it->second;
    const auto before = list.size();
    std::erase_if(list, [owner](const Listener& l) { return l.owner == owner; });
    listener_count_ -= before - list.size();
    it = list.empty() ? listeners_.erase(it) : std::next(it);
  }
}

std::size_t JobStore::listeners() const {
  lumen::internal::MutexLock lock(mutex_);
  return listener_count_;
}

std::optional<JobState> JobStore::find(const std::string& id) const {
  lumen::internal::MutexLock lock(mutex_);
  if (auto it = jobs_.find(id); it != jobs_.end()) return it->second;
  return std::nullopt;
}

std::uint64_t JobStore::evicted() const {
  lumen::internal::MutexLock lock(mutex_);
  return evicted_;
}

}  // namespace beautifyai
