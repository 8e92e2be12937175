# Shared by bench/run.sh and bench/profile.sh (sourced, not run).

# A self-signed RSA-2048 certificate for localhost in $1/tls.crt, $1/tls.key.
make_tls_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$1/tls.key" -out "$1/tls.crt" 2>/dev/null
}

# A wrk script ($2) POSTing the typical AdmissionReview from the repository ($1).
write_post_lua() {
  cat > "$2" <<LUA
local f = assert(io.open("$1/tests/data/typical-review.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until an HTTPS server answers on 127.0.0.1:$1.
wait_https() {
  for _ in $(seq 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}
