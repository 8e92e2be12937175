#pragma once
// The KubeClient on cpp-httplib (private to the kube room; KubeClient::create() returns it).
//
// Behaviour worth knowing beyond client.hpp:
// - Server verification is done by OpenSSL during the handshake (SSL_VERIFY_PEER with the
//   config's CA bundle, or the system store when it is empty, and the host name / IP or
//   tls-server-name); httplib's own check is off because it would add the system CAs to a
//   cluster CA bundle. A failure reads "... TLS handshake failed: server certificate verify
//   failed: <OpenSSL reason>".
// - tls-server-name: the connection is made to that name (SNI and verification) while the socket
//   goes to the URL's host (resolved when a connection is opened); the Host header keeps the URL's
//   host.
// - get(): the timeout bounds the connect, each read and the time until the last body byte; a
//   reused keep-alive connection that fails before any answer is retried once on a new one.
// - 401 (get and watch): the credentials are rejected (token file re-read, exec plugin re-run)
//   and the request is sent once more; a second 401 is returned as is.
// - watch(): a 200 stream that ends returns status 200 with error "" when the server ended it or
//   the handler returned false, and a reason otherwise (stalled past idle_timeout, line larger
//   than max_line_bytes, read error, handler threw). Blank lines are skipped; an unterminated
//   last line is dropped. Non-200 answers return their body (up to 1 MiB).
// - shutdown() stops every connection (idle, in a get, in a watch); a connection still in its
//   TLS handshake is stopped when the handshake ends (bounded by the connect timeout).
//   The destructor calls shutdown(); destroy the client only after every call has returned.
// - The first client created sets SIGPIPE to SIG_IGN if it was SIG_DFL: neither httplib nor
//   OpenSSL write with MSG_NOSIGNAL, and a closed connection must not kill the process.

#include <memory>

#include "kube/credentials.hpp"
#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/kube/client.hpp"

namespace piw::kube {

struct HttplibClientOptions {
    CredentialSourceOptions credentials;
    std::size_t max_idle_connections = 4;
};

// Validates the config (server URL, CA bundle, client certificate/key) and builds the client.
Result<std::unique_ptr<KubeClient>> create_httplib_client(ClientConfig config,
                                                          HttplibClientOptions options = {});

}  // namespace piw::kube
