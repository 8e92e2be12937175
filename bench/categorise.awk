# Groups `perf report --sort dso,symbol` lines ("12.3% dso [.] symbol") into what the time
# was spent on, for bench/profile.sh.
/^#/ || NF < 3 { next }
{
  share = $1; sub("%", "", share)
  dso = $2
  symbol = $0; sub(/^[^\]]*\] /, "", symbol)
  if (dso ~ /kernel/)                                        group = "kernel: TCP/IP, syscalls, scheduling"
  else if (dso ~ /libcrypto|libssl/ || symbol ~ /ssl|SSL|BIO|EVP/) group = "TLS (OpenSSL)"
  else if (symbol ~ /logging|strftime|clock_gettime|spdlog/ || dso ~ /spdlog|vdso/) group = "decision log line"
  else if (dso ~ /simdjson/ || symbol ~ /PodParser|PodReader|ReviewParser|decode_with|ReviewDecoder/) group = "AdmissionReview decoding (simdjson)"
  else if (symbol ~ /build_patch|PatchWriter|patch_|plan_|warnings|annotations|near_miss|clean_path|join_path|token_file_path|env_var_json|volume_json|volume_mount_json|Jitter/) group = "mutation (build_patch)"
  else if (symbol ~ /encode_response|append_base64|json::append_string/) group = "response encoding (base64)"
  else if (symbol ~ /metrics|Counter|Histogram|Family/) group = "metrics"
  else if (symbol ~ /identity|IdentityResolver|ServiceAccount/) group = "ServiceAccount lookup"
  else if (symbol ~ /malloc|free|_int_|operator new|operator delete|cfree/) group = "memory allocation"
  else if (symbol ~ /mem(move|cpy|set)/) group = "memcpy/memset"
  else group = "HTTP server (Beast parser, Asio, sessions) and other"
  total[group] += share
}
END {
  for (g in total) printf "%6.1f%%  %s\n", total[g], g | "sort -rn"
}
