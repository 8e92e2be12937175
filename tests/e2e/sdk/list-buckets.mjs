// Lists S3 buckets with the AWS SDK for JavaScript v3 configured only by its environment — the
// way an application in a mutated pod would: the default credential chain, no explicit region,
// endpoint or credentials. tests/e2e runs it with the env a patched container would have.
//
// Prints exactly one JSON line on stdout and exits 0 on success, 1 on failure:
//   {"ok":true,"buckets":["..."],"credentialSource":["CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN",...],
//    "accessKeyId":"..."}
//   {"ok":false,"errorName":"CredentialsProviderError","message":"...","code":"..."}
import { S3Client, ListBucketsCommand } from "@aws-sdk/client-s3";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

async function main() {
  // The chain S3Client would build by itself; resolved once here so the output can say which
  // provider answered (the SDK records it in `$source`) and so a missing credential is reported
  // as the chain's own error rather than as whatever the client happens to resolve first.
  const credentials = fromNodeProviderChain();
  const resolved = await credentials();
  const client = new S3Client({ credentials });
  const answer = await client.send(new ListBucketsCommand({}));
  return {
    ok: true,
    buckets: (answer.Buckets ?? []).map((bucket) => bucket.Name),
    credentialSource: Object.keys(resolved.$source ?? {}),
    accessKeyId: resolved.accessKeyId,
  };
}

try {
  console.log(JSON.stringify(await main()));
} catch (error) {
  console.error(error);
  console.log(
    JSON.stringify({
      ok: false,
      errorName: error?.name ?? String(error),
      message: error?.message ?? String(error),
      code: error?.Code ?? error?.code ?? null,
    }),
  );
  process.exitCode = 1;
}
