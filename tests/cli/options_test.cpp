#include "pod_identity_webhook/cli/options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace piw::cli {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

CommandLine parse_ok(const std::vector<std::string>& args) {
    auto result = parse_command_line(args);
    EXPECT_TRUE(result.ok()) << result.error();
    return result.ok() ? result.value() : CommandLine{};
}

std::string parse_error(const std::vector<std::string>& args) {
    auto result = parse_command_line(args);
    EXPECT_FALSE(result.ok());
    return result.ok() ? std::string("<parsed>") : result.error();
}

TEST(ParseCommandLine, UpstreamDefaults) {
    CommandLine line = parse_ok({});
    const Options& o = line.options;
    EXPECT_EQ(line.command, Command::serve);
    EXPECT_EQ(o.port, 443);
    EXPECT_EQ(o.metrics_port, 9999);
    EXPECT_EQ(o.kubeconfig, "");
    EXPECT_EQ(o.kube_api, "");
    EXPECT_EQ(o.tls_key, "/etc/webhook/certs/tls.key");
    EXPECT_EQ(o.tls_cert, "/etc/webhook/certs/tls.crt");
    EXPECT_EQ(o.tls_cipher_suites, "");
    EXPECT_EQ(o.tls_min_version, "");
    EXPECT_TRUE(o.in_cluster);
    EXPECT_EQ(o.service_name, "pod-identity-webhook");
    EXPECT_EQ(o.namespace_, "eks");
    EXPECT_EQ(o.tls_secret, "pod-identity-webhook");
    EXPECT_EQ(o.annotation_prefix, "eks.amazonaws.com");
    EXPECT_EQ(o.token_audience, "sts.amazonaws.com");
    EXPECT_EQ(o.token_mount_path, "/var/run/secrets/eks.amazonaws.com/serviceaccount");
    EXPECT_EQ(o.token_expiration, 86400);
    EXPECT_EQ(o.aws_default_region, "");
    EXPECT_FALSE(o.sts_regional_endpoint);
    EXPECT_FALSE(o.watch_config_map);
    EXPECT_FALSE(o.compose_role_arn);
    EXPECT_EQ(o.watch_container_credentials_config, "");
    EXPECT_EQ(o.container_credentials_audience, "pods.eks.amazonaws.com");
    EXPECT_EQ(o.container_credentials_token_mount_path,
              "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount");
    EXPECT_EQ(o.container_credentials_token_volume_name, "eks-pod-identity-token");
    EXPECT_EQ(o.container_credentials_token_path, "eks-pod-identity-token");
    EXPECT_EQ(o.container_credentials_full_uri, "http://169.254.170.23/v1/credentials");
    EXPECT_FALSE(o.version);
    EXPECT_FALSE(o.enable_debugging_handlers);
    EXPECT_EQ(o.service_account_lookup_grace_period, 1s);  // decision I2
    EXPECT_EQ(o.resync_period, 60s);
    EXPECT_EQ(o.verbosity, 0);
    EXPECT_EQ(o.service_accounts_file, "");
    EXPECT_EQ(o.log_format, "text");
    EXPECT_EQ(o.log_level, "");
    EXPECT_EQ(o.shutdown_timeout, 10s);
    EXPECT_EQ(o.aws_account_id, "");
    EXPECT_EQ(o.aws_partition, "aws");
    EXPECT_EQ(o.bind_address, "");
    EXPECT_EQ(o.max_connections, 2048);
    EXPECT_FALSE(o.help);
    EXPECT_THAT(line.ignored_positionals, IsEmpty());
}

TEST(ParseCommandLine, EveryApplicationFlagSetsItsOption) {
    CommandLine line = parse_ok({"--port=8443",
                                 "--metrics-port",
                                 "9090",
                                 "--kubeconfig=/k",
                                 "--kube-api=https://api",
                                 "--tls-key=/key",
                                 "--tls-cert=/cert",
                                 "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                 "--tls-min-version=1.3",
                                 "--in-cluster=false",
                                 "--service-name=svc",
                                 "--namespace=kube-system",
                                 "--tls-secret=sec",
                                 "--annotation-prefix=example.com",
                                 "--token-audience=aud",
                                 "--token-mount-path=/mnt",
                                 "--token-expiration=3600",
                                 "--aws-default-region=us-west-2",
                                 "--sts-regional-endpoint",
                                 "--watch-config-map=true",
                                 "--compose-role-arn=1",
                                 "--watch-container-credentials-config=/cc.json",
                                 "--container-credentials-audience=caud",
                                 "--container-credentials-token-mount-path=/cmnt",
                                 "--container-credentials-token-volume-name=cvol",
                                 "--container-credentials-token-path=cpath",
                                 "--container-credentials-full-uri=http://x/y",
                                 "--version",
                                 "--enable-debugging-handlers=T",
                                 "--service-account-lookup-grace-period=250ms",
                                 "--resync-period=5m"});
    const Options& o = line.options;
    EXPECT_EQ(o.port, 8443);
    EXPECT_EQ(o.metrics_port, 9090);
    EXPECT_EQ(o.kubeconfig, "/k");
    EXPECT_EQ(o.kube_api, "https://api");
    EXPECT_EQ(o.tls_key, "/key");
    EXPECT_EQ(o.tls_cert, "/cert");
    EXPECT_EQ(o.tls_cipher_suites, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    EXPECT_EQ(o.tls_min_version, "1.3");
    EXPECT_FALSE(o.in_cluster);
    EXPECT_EQ(o.service_name, "svc");
    EXPECT_EQ(o.namespace_, "kube-system");
    EXPECT_EQ(o.tls_secret, "sec");
    EXPECT_EQ(o.annotation_prefix, "example.com");
    EXPECT_EQ(o.token_audience, "aud");
    EXPECT_EQ(o.token_mount_path, "/mnt");
    EXPECT_EQ(o.token_expiration, 3600);
    EXPECT_EQ(o.aws_default_region, "us-west-2");
    EXPECT_TRUE(o.sts_regional_endpoint);
    EXPECT_TRUE(o.watch_config_map);
    EXPECT_TRUE(o.compose_role_arn);
    EXPECT_EQ(o.watch_container_credentials_config, "/cc.json");
    EXPECT_EQ(o.container_credentials_audience, "caud");
    EXPECT_EQ(o.container_credentials_token_mount_path, "/cmnt");
    EXPECT_EQ(o.container_credentials_token_volume_name, "cvol");
    EXPECT_EQ(o.container_credentials_token_path, "cpath");
    EXPECT_EQ(o.container_credentials_full_uri, "http://x/y");
    EXPECT_TRUE(o.version);
    EXPECT_TRUE(o.enable_debugging_handlers);
    EXPECT_EQ(o.service_account_lookup_grace_period, 250ms);
    EXPECT_EQ(o.resync_period, 5min);
}

TEST(ParseCommandLine, OurFlags) {
    CommandLine line =
        parse_ok({"--service-accounts-file", "sa.yaml", "--log-format=json", "--log-level=debug",
                  "--shutdown-timeout=30s", "--aws-account-id=123456789012",
                  "--aws-partition=aws-cn", "--bind-address=127.0.0.1", "--max-connections=10"});
    const Options& o = line.options;
    EXPECT_EQ(o.service_accounts_file, "sa.yaml");
    EXPECT_EQ(o.log_format, "json");
    EXPECT_EQ(o.log_level, "debug");
    EXPECT_EQ(o.shutdown_timeout, 30s);
    EXPECT_EQ(o.aws_account_id, "123456789012");
    EXPECT_EQ(o.aws_partition, "aws-cn");
    EXPECT_EQ(o.bind_address, "127.0.0.1");
    EXPECT_EQ(o.max_connections, 10);
}

struct BoolCase {
    std::vector<std::string> args;
    bool in_cluster;
    std::vector<std::string> positionals;
};

TEST(ParseCommandLine, BooleanForms) {
    const std::vector<BoolCase> cases = {
        {{"--in-cluster"}, true, {}},
        {{"--in-cluster=false"}, false, {}},
        {{"--in-cluster=0"}, false, {}},
        {{"--in-cluster=f"}, false, {}},
        {{"--in-cluster=F"}, false, {}},
        {{"--in-cluster=FALSE"}, false, {}},
        {{"--in-cluster=False"}, false, {}},
        {{"--in-cluster=false", "--in-cluster=true"}, true, {}},
        {{"--in-cluster=false", "--in-cluster=1"}, true, {}},
        {{"--in-cluster=false", "--in-cluster=t"}, true, {}},
        {{"--in-cluster=false", "--in-cluster=TRUE"}, true, {}},
        {{"--in-cluster=false", "--in-cluster=True"}, true, {}},
        // A bare word after a boolean is not its value: pflag leaves it as a positional.
        {{"--in-cluster", "false"}, true, {"false"}},
        {{"--in-cluster=false", "--in-cluster", "false"}, true, {"false"}},
    };
    for (const auto& c : cases) {
        CommandLine line = parse_ok(c.args);
        EXPECT_EQ(line.options.in_cluster, c.in_cluster) << ::testing::PrintToString(c.args);
        EXPECT_EQ(line.ignored_positionals, c.positionals) << ::testing::PrintToString(c.args);
    }
}

TEST(ParseCommandLine, IntegersUseGoParseIntBaseZero) {
    EXPECT_EQ(parse_ok({"--port", "8443"}).options.port, 8443);
    EXPECT_EQ(parse_ok({"--port=0x1BB"}).options.port, 443);
    EXPECT_EQ(parse_ok({"--port=0o777"}).options.port, 511);
    EXPECT_EQ(parse_ok({"--port=0b101"}).options.port, 5);
    EXPECT_EQ(parse_ok({"--port=010"}).options.port, 8);  // leading 0 is octal
    EXPECT_EQ(parse_ok({"--port=1_000"}).options.port, 1000);
    EXPECT_EQ(parse_ok({"--port=+7"}).options.port, 7);
    EXPECT_EQ(parse_ok({"--token-expiration=-5"}).options.token_expiration, -5);  // clamped later
    EXPECT_EQ(parse_ok({"--token-expiration=9223372036854775807"}).options.token_expiration,
              9223372036854775807);
}

TEST(ParseCommandLine, Durations) {
    EXPECT_EQ(parse_ok({"--resync-period=100ms"}).options.resync_period, 100ms);
    EXPECT_EQ(parse_ok({"--resync-period", "1m30s"}).options.resync_period, 90s);
    EXPECT_EQ(parse_ok({"--resync-period=0"}).options.resync_period, 0s);
    EXPECT_EQ(parse_ok({"--service-account-lookup-grace-period=0"})
                  .options.service_account_lookup_grace_period,
              0s);
    EXPECT_EQ(parse_ok({"--shutdown-timeout=1.5h"}).options.shutdown_timeout, 90min);
    EXPECT_EQ(parse_ok({"--shutdown-timeout=2us"}).options.shutdown_timeout, 2us);
}

TEST(ParseCommandLine, VerbosityForms) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-v=4"}, {"-v", "4"}, {"-v4"}, {"--v=4"}, {"--v", "4"}}) {
        EXPECT_EQ(parse_ok(args).options.verbosity, 4) << ::testing::PrintToString(args);
    }
    EXPECT_EQ(parse_ok({"-v=-1"}).options.verbosity, -1);
    EXPECT_EQ(parse_ok({"-v=1", "-v=7"}).options.verbosity, 7);
}

TEST(ParseCommandLine, KlogFlagsAreAcceptedAndIgnored) {
    CommandLine line = parse_ok({"--logtostderr", "--logtostderr=false", "--alsologtostderr",
                                 "--legacy_stderr_threshold_behavior=false", "--log_dir=/tmp/logs",
                                 "--log_file", "/tmp/x.log", "--log_file_max_size=0x10",
                                 "--add_dir_header", "--skip_headers=true", "--one_output",
                                 "--skip_log_headers", "--stderrthreshold=warning",
                                 "--stderrthreshold=3", "--alsologtostderrthreshold=INFO",
                                 "--vmodule=server*=3,cache=5,", "--log_backtrace_at=main.go:42"});
    EXPECT_THAT(line.ignored_positionals, IsEmpty());
    EXPECT_EQ(line.options.verbosity, 0);
    EXPECT_EQ(line.options.log_format, "text");
}

TEST(ParseCommandLine, PositionalsAndDoubleDash) {
    CommandLine line = parse_ok({"extra", "--port=1", "-", "--", "--port=2", "-v=9"});
    EXPECT_EQ(line.options.port, 1);
    EXPECT_EQ(line.options.verbosity, 0);
    EXPECT_THAT(line.ignored_positionals, ElementsAre("extra", "-", "--port=2", "-v=9"));
    EXPECT_EQ(line.command, Command::serve);
}

TEST(ParseCommandLine, ServeSubcommandIsTheDefaultCommand) {
    CommandLine line = parse_ok({"serve", "--port=1"});
    EXPECT_EQ(line.command, Command::serve);
    EXPECT_EQ(line.options.port, 1);
    EXPECT_THAT(line.ignored_positionals, IsEmpty());
    // Only the first argument selects a command.
    CommandLine later = parse_ok({"--port=1", "mutate"});
    EXPECT_EQ(later.command, Command::serve);
    EXPECT_THAT(later.ignored_positionals, ElementsAre("mutate"));
}

TEST(ParseCommandLine, Help) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-h"}, {"--help"}, {"--port=1", "--help"}, {"--help=false"}, {"-h", "--bogus"}}) {
        auto result = parse_command_line(args);
        ASSERT_TRUE(result.ok()) << ::testing::PrintToString(args) << result.error();
        EXPECT_TRUE(result->options.help);
        EXPECT_EQ(result->command, Command::serve);
    }
    // An error before --help wins, as in pflag.
    EXPECT_EQ(parse_error({"--bogus", "--help"}), "unknown flag: --bogus");
    auto mutate_help = parse_command_line({"mutate", "--help"});
    ASSERT_TRUE(mutate_help.ok());
    EXPECT_TRUE(mutate_help->options.help);
    EXPECT_EQ(mutate_help->command, Command::mutate);
}

struct ErrorCase {
    std::vector<std::string> args;
    std::string message;
};

TEST(ParseCommandLine, ErrorsReadLikePflag) {
    const std::vector<ErrorCase> cases = {
        {{"--foo"}, "unknown flag: --foo"},
        {{"--foo=bar"}, "unknown flag: --foo"},
        {{"--log-dir=/x"}, "unknown flag: --log-dir"},  // klog keeps its underscores
        {{"-x"}, "unknown shorthand flag: 'x' in -x"},
        {{"-xyz"}, "unknown shorthand flag: 'x' in -xyz"},
        {{"-f", "pod.yaml"}, "unknown shorthand flag: 'f' in -f"},  // only in mutate
        {{"---port=1"}, "bad flag syntax: ---port=1"},
        {{"--=1"}, "bad flag syntax: --=1"},
        {{"--port"}, "flag needs an argument: --port"},
        {{"--resync-period"}, "flag needs an argument: --resync-period"},
        {{"-v"}, "flag needs an argument: 'v' in -v"},
        {{"--port=abc"},
         "invalid argument \"abc\" for \"--port\" flag: strconv.ParseInt: parsing \"abc\": "
         "invalid syntax"},
        {{"--port", ""},
         "invalid argument \"\" for \"--port\" flag: strconv.ParseInt: parsing \"\": invalid "
         "syntax"},
        {{"--port=99999999999999999999"},
         "invalid argument \"99999999999999999999\" for \"--port\" flag: strconv.ParseInt: "
         "parsing \"99999999999999999999\": value out of range"},
        {{"--token-expiration=9223372036854775808"},
         "invalid argument \"9223372036854775808\" for \"--token-expiration\" flag: "
         "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"},
        {{"--port=1__0"},
         "invalid argument \"1__0\" for \"--port\" flag: strconv.ParseInt: parsing \"1__0\": "
         "invalid syntax"},
        {{"--port=0x"},
         "invalid argument \"0x\" for \"--port\" flag: strconv.ParseInt: parsing \"0x\": invalid "
         "syntax"},
        {{"--port=4 43"},
         "invalid argument \"4 43\" for \"--port\" flag: strconv.ParseInt: parsing \"4 43\": "
         "invalid syntax"},
        {{"--in-cluster=maybe"},
         "invalid argument \"maybe\" for \"--in-cluster\" flag: strconv.ParseBool: parsing "
         "\"maybe\": invalid syntax"},
        {{"--in-cluster="},
         "invalid argument \"\" for \"--in-cluster\" flag: strconv.ParseBool: parsing \"\": "
         "invalid syntax"},
        {{"--resync-period=abc"},
         "invalid argument \"abc\" for \"--resync-period\" flag: time: invalid duration \"abc\""},
        {{"--resync-period=10"},
         "invalid argument \"10\" for \"--resync-period\" flag: time: missing unit in duration "
         "\"10\""},
        {{"--resync-period=1d"},
         "invalid argument \"1d\" for \"--resync-period\" flag: time: unknown unit \"d\" in "
         "duration \"1d\""},
        {{"--resync-period="},
         "invalid argument \"\" for \"--resync-period\" flag: time: invalid duration \"\""},
        {{"--resync-period=9999999999h"},
         "invalid argument \"9999999999h\" for \"--resync-period\" flag: time: invalid duration "
         "\"9999999999h\""},
        {{"-v=x"},
         "invalid argument \"x\" for \"-v, --v\" flag: strconv.ParseInt: parsing \"x\": invalid "
         "syntax"},
        {{"-v="},
         "invalid argument \"=\" for \"-v, --v\" flag: strconv.ParseInt: parsing \"=\": invalid "
         "syntax"},
        {{"-v", "0x4"},
         "invalid argument \"0x4\" for \"-v, --v\" flag: strconv.ParseInt: parsing \"0x4\": "
         "invalid syntax"},
        {{"--v=3000000000"},
         "invalid argument \"3000000000\" for \"-v, --v\" flag: strconv.ParseInt: parsing "
         "\"3000000000\": value out of range"},
        {{"--logtostderr=yes"}, "invalid argument \"yes\" for \"--logtostderr\" flag: parse error"},
        {{"--log_file_max_size=-1"},
         "invalid argument \"-1\" for \"--log_file_max_size\" flag: parse error"},
        {{"--log_file_max_size=18446744073709551616"},
         "invalid argument \"18446744073709551616\" for \"--log_file_max_size\" flag: value out "
         "of range"},
        {{"--stderrthreshold=LOUD"},
         "invalid argument \"LOUD\" for \"--stderrthreshold\" flag: strconv.ParseInt: parsing "
         "\"LOUD\": invalid syntax"},
        {{"--vmodule=server"},
         "invalid argument \"server\" for \"--vmodule\" flag: syntax error: expect "
         "comma-separated list of filename=N"},
        {{"--vmodule=server=-1"},
         "invalid argument \"server=-1\" for \"--vmodule\" flag: negative value for vmodule "
         "level"},
        {{"--log_backtrace_at=main:1"},
         "invalid argument \"main:1\" for \"--log_backtrace_at\" flag: syntax error: expect "
         "file.go:234"},
        {{"--log-format=xml"},
         "invalid argument \"xml\" for \"--log-format\" flag: must be text or json"},
        {{"--log-level=verbose"},
         "invalid argument \"verbose\" for \"--log-level\" flag: must be one of trace, debug, "
         "info, warn, error"},
        {{"--aws-account-id=12345"},
         "invalid argument \"12345\" for \"--aws-account-id\" flag: must be a 12-digit AWS "
         "account ID"},
        {{"--max-connections=0"},
         "invalid argument \"0\" for \"--max-connections\" flag: must be at least 1"},
        {{"--kubeconfig=ok", "--port=\x01\n"},
         "invalid argument \"\\x01\\n\" for \"--port\" flag: strconv.ParseInt: parsing "
         "\"\\x01\\n\": invalid syntax"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parse_error(c.args), c.message) << ::testing::PrintToString(c.args);
    }
}

TEST(ParseCommandLine, MutateCommand) {
    CommandLine line =
        parse_ok({"mutate", "-f", "-", "--filename=b.yaml", "-fc.yaml", "-f=d.yaml", "-o", "patch",
                  "--namespace", "payments", "--service-accounts-file=sa.yaml",
                  "--aws-default-region=eu-west-1"});
    EXPECT_EQ(line.command, Command::mutate);
    EXPECT_THAT(line.mutate.files, ElementsAre("-", "b.yaml", "c.yaml", "d.yaml"));
    EXPECT_EQ(line.mutate.output, "patch");
    EXPECT_EQ(line.mutate.default_namespace, "payments");
    EXPECT_EQ(line.options.namespace_, "eks");  // --namespace means something else here
    EXPECT_EQ(line.options.service_accounts_file, "sa.yaml");
    EXPECT_EQ(line.options.aws_default_region, "eu-west-1");
}

TEST(ParseCommandLine, MutateDefaultsAndErrors) {
    CommandLine line = parse_ok({"mutate", "-f", "pod.yaml"});
    EXPECT_EQ(line.mutate.output, "yaml");
    EXPECT_EQ(line.mutate.default_namespace, "default");
    EXPECT_EQ(parse_ok({"mutate", "-f", "a,b.yaml"}).mutate.files,
              std::vector<std::string>{"a,b.yaml"});  // file names are not split on commas
    EXPECT_EQ(parse_ok({"mutate", "--output=json", "-f", "x"}).mutate.output, "json");
    EXPECT_EQ(parse_error({"mutate"}), "required flag(s) \"filename\" not set");
    EXPECT_EQ(parse_error({"mutate", "-f"}), "flag needs an argument: 'f' in -f");
    EXPECT_EQ(parse_error({"mutate", "-f", "x", "-o", "xml"}),
              "invalid argument \"xml\" for \"-o, --output\" flag: must be yaml, json or patch");
    EXPECT_TRUE(parse_ok({"mutate", "--version"}).options.version);
}

TEST(Usage, ListsEveryFlagLikePflag) {
    std::string text = usage(Command::serve);
    EXPECT_THAT(text, HasSubstr("\n      --port int"));
    EXPECT_THAT(text, HasSubstr("Port to listen on (default 443)\n"));
    EXPECT_THAT(text, HasSubstr("      --namespace string"));
    EXPECT_THAT(text, HasSubstr("resides in (default \"eks\")\n"));
    EXPECT_THAT(text, HasSubstr("      --in-cluster   "));
    EXPECT_THAT(text, HasSubstr("(default true)"));
    // pflag takes the `quoted` word of a usage as the value placeholder.
    EXPECT_THAT(text, HasSubstr("      --sts-regional-endpoint false   "));
    EXPECT_THAT(text, HasSubstr("mutated pods. Defaults to false.\n"));
    EXPECT_THAT(text, HasSubstr("      --token-expiration int"));
    EXPECT_THAT(text, HasSubstr("      --service-account-lookup-grace-period duration"));
    EXPECT_THAT(text, HasSubstr("(default 1s)\n"));
    EXPECT_THAT(text, HasSubstr("The period to resync the SA informer cache (default 1m0s)\n"));
    EXPECT_THAT(text, HasSubstr("  -v, --v Level"));
    EXPECT_THAT(text, HasSubstr("      --log_file_max_size uint"));
    EXPECT_THAT(text, HasSubstr("      --stderrthreshold severity"));
    EXPECT_THAT(text, HasSubstr("      --vmodule moduleSpec"));
    EXPECT_THAT(text, HasSubstr("      --log_backtrace_at traceLocation"));
    EXPECT_THAT(text, HasSubstr("(default :0)\n"));
    EXPECT_THAT(text, HasSubstr("      --shutdown-timeout duration"));
    EXPECT_THAT(text, HasSubstr("(default 10s)\n"));
    EXPECT_THAT(text, HasSubstr("Example:\n"));
    EXPECT_THAT(text, Not(HasSubstr("--filename")));
    for (const char* flag : {"port",
                             "metrics-port",
                             "kubeconfig",
                             "kube-api",
                             "tls-key",
                             "tls-cert",
                             "tls-cipher-suites",
                             "tls-min-version",
                             "in-cluster",
                             "service-name",
                             "namespace",
                             "tls-secret",
                             "annotation-prefix",
                             "token-audience",
                             "token-mount-path",
                             "token-expiration",
                             "aws-default-region",
                             "sts-regional-endpoint",
                             "watch-config-map",
                             "compose-role-arn",
                             "watch-container-credentials-config",
                             "container-credentials-audience",
                             "container-credentials-token-mount-path",
                             "container-credentials-token-volume-name",
                             "container-credentials-token-path",
                             "container-credentials-full-uri",
                             "version",
                             "enable-debugging-handlers",
                             "service-account-lookup-grace-period",
                             "resync-period",
                             "log_dir",
                             "log_file",
                             "log_file_max_size",
                             "logtostderr",
                             "alsologtostderr",
                             "legacy_stderr_threshold_behavior",
                             "v",
                             "add_dir_header",
                             "skip_headers",
                             "one_output",
                             "skip_log_headers",
                             "stderrthreshold",
                             "alsologtostderrthreshold",
                             "vmodule",
                             "log_backtrace_at",
                             "service-accounts-file",
                             "log-format",
                             "log-level",
                             "shutdown-timeout",
                             "aws-account-id",
                             "aws-partition",
                             "bind-address",
                             "max-connections"}) {
        EXPECT_THAT(text, HasSubstr("--" + std::string(flag) + " ")) << flag;
    }
}

TEST(Usage, ColumnsAreAlignedWithinAGroup) {
    std::string text = usage(Command::serve);
    std::istringstream lines(text);
    std::string line;
    std::size_t column = 0;
    bool in_application = false;
    while (std::getline(lines, line)) {
        if (line.rfind("Application flags", 0) == 0) {
            in_application = true;
            continue;
        }
        if (!in_application) continue;
        if (line.empty()) break;
        auto gap = line.find("   ", 8);
        ASSERT_NE(gap, std::string::npos) << line;
        std::size_t start = line.find_first_not_of(' ', gap);
        if (column == 0) column = start;
        EXPECT_EQ(start, column) << line;
    }
    EXPECT_GT(column, 0u);
}

TEST(Usage, MutateListsItsFlagsAndExamples) {
    std::string text = usage(Command::mutate);
    EXPECT_THAT(text, HasSubstr("  -f, --filename stringArray"));
    EXPECT_THAT(text, HasSubstr("  -o, --output string"));
    EXPECT_THAT(text, HasSubstr("(default \"yaml\")\n"));
    EXPECT_THAT(text, HasSubstr("      --namespace string"));
    EXPECT_THAT(text, HasSubstr("(default \"default\")\n"));
    EXPECT_THAT(text, HasSubstr("Examples:\n"));
    EXPECT_THAT(text, HasSubstr("mutate -f - -o patch"));
    EXPECT_THAT(text, Not(HasSubstr("(default \"eks\")")));
    EXPECT_THAT(text, HasSubstr("--service-accounts-file string"));
}

}  // namespace
}  // namespace piw::cli
