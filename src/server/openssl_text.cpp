#include "server/openssl_text.hpp"

#include <openssl/asn1.h>
#include <openssl/err.h>

#include <ctime>

namespace piw::server::detail {

std::string take_openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        const char* library = ERR_lib_error_string(code);
        const char* reason = ERR_reason_error_string(code);
        if (!text.empty()) text += "; ";
        if (library != nullptr) {
            text += library;
            text += ": ";
        }
        if (reason != nullptr) {
            text += reason;
        } else {
            text += "error " + std::to_string(ERR_GET_REASON(code));
        }
    }
    if (text.empty()) text = "unknown OpenSSL error";
    return text;
}

std::string common_name(const X509* certificate) {
    if (certificate == nullptr) return {};
    const X509_NAME* subject = X509_get_subject_name(certificate);
    if (subject == nullptr) return {};
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) return {};
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, index);
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0 || utf8 == nullptr) return {};
    std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return name;
}

std::optional<double> not_after_unix_seconds(const X509* certificate) {
    if (certificate == nullptr) return std::nullopt;
    const ASN1_TIME* not_after = X509_get0_notAfter(certificate);
    std::tm broken_down{};
    if (not_after == nullptr || ASN1_TIME_to_tm(not_after, &broken_down) != 1) return std::nullopt;
    return static_cast<double>(timegm(&broken_down));
}

}  // namespace piw::server::detail
