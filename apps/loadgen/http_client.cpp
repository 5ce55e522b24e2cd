#include "http_client.hpp"

#include <curl/curl.h>

#include <mutex>
#include <stdexcept>

namespace loadgen {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

CURL* curl(void* handle) {
  return static_cast<CURL*>(handle);
}

}  // namespace

HttpClient::HttpClient(std::chrono::milliseconds timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  handle_ = curl_easy_init();
  if (handle_ == nullptr) throw std::runtime_error("cannot create a curl handle");
  curl_easy_setopt(curl(handle_), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl(handle_), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl(handle_), CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(curl(handle_), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl(handle_), CURLOPT_WRITEDATA, &reply_);
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(curl(handle_));
}

HttpResult HttpClient::post(const std::string& url, std::string_view json_body) {
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl(handle_), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl(handle_), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl(handle_), CURLOPT_POST, 1L);
  curl_easy_setopt(curl(handle_), CURLOPT_POSTFIELDS, json_body.data());
  curl_easy_setopt(curl(handle_), CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(json_body.size()));
  HttpResult result = perform();
  curl_easy_setopt(curl(handle_), CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  return result;
}

HttpResult HttpClient::get(const std::string& url) {
  curl_easy_setopt(curl(handle_), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl(handle_), CURLOPT_HTTPGET, 1L);
  return perform();
}

HttpResult HttpClient::perform() {
  reply_.clear();
  HttpResult result;
  const CURLcode code = curl_easy_perform(curl(handle_));
  if (code != CURLE_OK) {
    result.error = curl_easy_strerror(code);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(curl(handle_), CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  result.body = std::move(reply_);
  return result;
}

}  // namespace loadgen
