// Verifies a projected ServiceAccount token the way an OIDC relying party (STS) does, against the
// issuer documents that `pod-identity-webhook oidc discovery` rendered — with Node's own crypto,
// not ours, so that a mistake in our JWKS (the n/e encoding, the kid) cannot hide behind a
// verifier that shares it. Plain node: only built-in modules.
//
//   node verify-token.mjs DISCOVERY_JSON JWKS_JSON TOKEN EXPECTED_ISSUER EXPECTED_AUDIENCE NOW
//
// NOW is the verifier's clock in Unix seconds. Prints one JSON line on stdout:
//   {"ok":true,"reason":"","sub":"...","aud":[...],"iss":"..."}
//   {"ok":false,"failed":"signature","reason":"...","sub":...,"aud":...,"iss":...}
// `failed` names the check that refused the token: discovery, malformed, issuer, kid, alg,
// signature, audience, expired, not-yet-valid. sub/aud/iss are the token's claims as written
// (null if it could not be read); they are reported even when the signature does not verify.
// Exits 0 when the token is accepted, 1 when refused, 2 on bad usage.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

const SKEW_SECONDS = 300;
// JWS alg → digest, key type, curve (RFC 7518 §3.1).
const ALGORITHMS = {
  RS256: { digest: "sha256", kty: "RSA" },
  ES256: { digest: "sha256", kty: "EC", crv: "P-256" },
  ES384: { digest: "sha384", kty: "EC", crv: "P-384" },
  ES512: { digest: "sha512", kty: "EC", crv: "P-521" },
};

class Refusal extends Error {
  constructor(failed, reason) {
    super(reason);
    this.failed = failed;
  }
}

function refuseUnless(condition, failed, reason) {
  if (!condition) throw new Refusal(failed, reason);
}

function decodeJson(part, what) {
  let value;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    value = null;
  }
  refuseUnless(value !== null && typeof value === "object" && !Array.isArray(value), "malformed",
    `the token's ${what} is not a base64url JSON object`);
  return value;
}

// The discovery document must name the issuer STS trusts and point at the JWKS beside it.
function checkDiscovery(discovery, issuer) {
  refuseUnless(discovery.issuer === issuer, "discovery",
    `the discovery document's issuer is ${JSON.stringify(discovery.issuer)}, not ${issuer}`);
  refuseUnless(discovery.jwks_uri === `${issuer}/openid/v1/jwks`, "discovery",
    `the discovery document's jwks_uri is ${JSON.stringify(discovery.jwks_uri)}`);
}

// The JWK the header's kid names, imported by Node, with the kid recomputed from the key itself
// (kube-apiserver's kid: base64url(SHA-256(DER SubjectPublicKeyInfo))).
function selectKey(jwks, header) {
  refuseUnless(typeof header.kid === "string", "kid", "the token header has no kid");
  const jwk = (jwks.keys ?? []).find((key) => key.kid === header.kid);
  refuseUnless(jwk !== undefined, "kid", `no key with kid ${header.kid} in the JWKS`);
  let publicKey;
  try {
    publicKey = createPublicKey({ key: jwk, format: "jwk" });
  } catch (error) {
    throw new Refusal("kid", `the JWK ${header.kid} does not import: ${error.message}`);
  }
  const spki = publicKey.export({ type: "spki", format: "der" });
  const recomputed = createHash("sha256").update(spki).digest("base64url");
  refuseUnless(recomputed === jwk.kid, "kid",
    `the JWK's kid ${jwk.kid} is not the SHA-256 of its key (${recomputed})`);
  return { jwk, publicKey };
}

function checkSignature(header, signingInput, signature, { jwk, publicKey }, discovery) {
  const algorithm = ALGORITHMS[header.alg];
  refuseUnless(algorithm !== undefined, "alg", `unsupported alg ${header.alg}`);
  refuseUnless(jwk.alg === undefined || jwk.alg === header.alg, "alg",
    `the token's alg ${header.alg} is not the key's ${jwk.alg}`);
  refuseUnless(jwk.kty === algorithm.kty && (!algorithm.crv || jwk.crv === algorithm.crv), "alg",
    `alg ${header.alg} does not fit a ${jwk.kty} ${jwk.crv ?? ""} key`);
  refuseUnless((discovery.id_token_signing_alg_values_supported ?? []).includes(header.alg),
    "alg", `the discovery document does not list ${header.alg}`);
  // JWS ECDSA signatures are r||s (IEEE P1363), not DER.
  const key = algorithm.kty === "EC" ? { key: publicKey, dsaEncoding: "ieee-p1363" } : publicKey;
  refuseUnless(verify(algorithm.digest, Buffer.from(signingInput), key, signature), "signature",
    "the signature does not verify with the published key");
}

function checkClaims(claims, audience, now) {
  const audiences = typeof claims.aud === "string" ? [claims.aud] : claims.aud;
  refuseUnless(Array.isArray(audiences) && audiences.includes(audience), "audience",
    `aud ${JSON.stringify(claims.aud)} does not include ${audience}`);
  for (const name of ["exp", "iat", "nbf"]) {
    refuseUnless(claims[name] === undefined || Number.isInteger(claims[name]), "malformed",
      `${name} is not an integer`);
  }
  refuseUnless(claims.exp !== undefined, "malformed", "the token has no exp");
  refuseUnless(now < claims.exp + SKEW_SECONDS, "expired", `expired at ${claims.exp}`);
  refuseUnless(claims.nbf === undefined || claims.nbf <= now + SKEW_SECONDS, "not-yet-valid",
    `not valid before ${claims.nbf}`);
  refuseUnless(claims.iat === undefined || claims.iat <= now + SKEW_SECONDS, "not-yet-valid",
    `issued in the future (${claims.iat})`);
}

// The order a relying party needs: iss chooses the provider, whose keys then check the
// signature, and only a verified token's audience and lifetime mean anything.
function verifyToken([discoveryPath, jwksPath, token, issuer, audience, nowText], verdict) {
  const discovery = JSON.parse(readFileSync(discoveryPath, "utf8"));
  const jwks = JSON.parse(readFileSync(jwksPath, "utf8"));
  checkDiscovery(discovery, issuer);
  const parts = token.split(".");
  refuseUnless(parts.length === 3, "malformed", "not a compact JWS (header.claims.signature)");
  const header = decodeJson(parts[0], "header");
  const claims = decodeJson(parts[1], "claims");
  Object.assign(verdict, { sub: claims.sub ?? null, aud: claims.aud ?? null,
    iss: claims.iss ?? null });
  refuseUnless(claims.iss === issuer, "issuer", `no OIDC provider for issuer ${claims.iss}`);
  const key = selectKey(jwks, header);
  checkSignature(header, `${parts[0]}.${parts[1]}`, Buffer.from(parts[2], "base64url"), key,
    discovery);
  checkClaims(claims, audience, Number(nowText));
}

const args = process.argv.slice(2);
if (args.length !== 6 || !Number.isInteger(Number(args[5]))) {
  console.error("usage: verify-token.mjs DISCOVERY JWKS TOKEN ISSUER AUDIENCE NOW");
  process.exit(2);
}
const verdict = { ok: false, failed: null, reason: "", sub: null, aud: null, iss: null };
try {
  verifyToken(args, verdict);
  verdict.ok = true;
} catch (error) {
  if (!(error instanceof Refusal)) throw error;  // our bug or unreadable documents: exit 1, loudly
  Object.assign(verdict, { failed: error.failed, reason: error.message });
}
console.log(JSON.stringify(verdict));
process.exitCode = verdict.ok ? 0 : 1;
