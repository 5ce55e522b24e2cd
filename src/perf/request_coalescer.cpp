#include "lumen/perf/request_coalescer.hpp"

#include <optional>
#include <regex>

#include "lumen/core/error.hpp"
#include "perf/coalescer_shards.hpp"

namespace lumen::perf::detail {

CoalescerCore::CoalescerCore(CoalescerOptions options, const ValueOps& ops)
    : impl_(std::make_unique<CoalescerShards>(std::move(options), ops)) {}
CoalescerCore::~CoalescerCore() = default;

CoalescerCore::Ticket CoalescerCore::begin(std::string_view key, void* out, CopyOut copy) {
  return impl_->begin(key, out, copy);
}
bool CoalescerCore::lookup(std::string_view key, void* out, CopyOut copy) {
  return impl_->lookup(key, out, copy);
}
std::shared_ptr<const void> CoalescerCore::execute(std::string_view key, Ticket& ticket,
                                                   Produce produce, void* fn) {
  return impl_->execute(key, ticket, produce, fn);
}
void CoalescerCore::wait(Ticket& ticket, void* out, CopyOut copy) {
  impl_->wait(ticket, out, copy);
}
Context CoalescerCore::start_execution(std::string_view key, Ticket& ticket,
                                       const Context& parent) {
  return impl_->start_execution(key, ticket, parent);
}
std::shared_ptr<const void> CoalescerCore::end_execution(std::string_view key, Ticket& ticket,
                                                         std::shared_ptr<const void> value,
                                                         std::exception_ptr error) {
  return impl_->end_execution(key, ticket, std::move(value), std::move(error));
}
void CoalescerCore::on_done(Ticket& ticket, std::function<void()> callback) {
  impl_->on_done(ticket, std::move(callback));
}
void CoalescerCore::count_wait_timeout() noexcept {
  impl_->count_wait_timeout();
}
std::size_t CoalescerCore::invalidate() {
  impl_->shared_erase(
      [](ResultCache& c) { (void)c.erase_if([](std::string_view) { return true; }); });
  return impl_->invalidate_if([](std::string_view) { return true; });
}
std::size_t CoalescerCore::invalidate_key(std::string_view key) {
  impl_->shared_erase([&](ResultCache& c) { (void)c.erase(key); });
  return impl_->invalidate_key(key);
}
std::size_t CoalescerCore::invalidate_matching(std::string_view regex) {
  std::optional<std::regex> re;
  try {
    re.emplace(std::string(regex), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error("RequestCoalescer::invalidate_matching: '" + std::string(regex) +
                "' is not a valid ECMAScript regular expression (" + e.what() + ")");
  }
  impl_->shared_erase([&](ResultCache& c) {
    (void)c.erase_if(
        [&](std::string_view key) { return std::regex_search(key.begin(), key.end(), *re); });
  });
  return impl_->invalidate_if(
      [&](std::string_view key) { return std::regex_search(key.begin(), key.end(), *re); });
}
std::size_t CoalescerCore::purge_expired() {
  return impl_->purge_expired();
}
CoalescerStats CoalescerCore::stats() const {
  return impl_->stats();
}
bool CoalescerCore::has_shared() const noexcept {
  return impl_->has_shared();
}
std::optional<std::string> CoalescerCore::shared_load(std::string_view key) {
  return impl_->shared_load(key);
}
void CoalescerCore::shared_store(std::string_view key, std::string_view bytes) {
  impl_->shared_store(key, bytes);
}
void CoalescerCore::shared_codec_failed() noexcept {
  impl_->shared_codec_failed();
}
std::chrono::nanoseconds CoalescerCore::wait_timeout() const noexcept {
  return impl_->wait_timeout();
}
void CoalescerCore::refresh(std::string_view key, Ticket ticket,
                            std::function<std::shared_ptr<const void>()> work) {
  impl_->refresh(key, std::move(ticket), std::move(work));
}

}  // namespace lumen::perf::detail
