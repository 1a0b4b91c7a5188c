#!/usr/bin/env bash
# The token endpoint against the raw RS256 sign rate, over HTTP (BENCHMARKS.md).
#
# Builds keyhook, starts `keyhook serve` on loopback with SQLite (and with a fresh PostgreSQL
# database beside KEYHOOK_TEST_POSTGRES_URL when it is set), creates a credentials-exchange hook
# and an M2M client through the Management API, then interleaves ROUNDS times: the raw sign rate
# (signer's parallel BenchmarkSignRS256, same key size, every core), `wrk -t2 -c8` on
# POST /oauth/token against SQLite, and the same against PostgreSQL. Prints each round, the
# medians with their min–max, the ratios of the medians, and the load average before and after.
#
# Environment: DURATION (seconds per measurement, default 10), ROUNDS (default 3),
# KEYHOOK_TEST_POSTGRES_URL (optional), WRK_THREADS (2), WRK_CONNECTIONS (8), PROFILE_DIR (when
# set, one more wrk run per backend after the rounds, with a CPU profile of keyhook saved there as
# token-<backend>.pprof; read it with `go tool pprof -top PROFILE_DIR/keyhook FILE`), BASELINE (a
# git revision, e.g. main: it is built too and measured in the same rounds as sqlite@BASELINE and
# postgres@BASELINE, so a change is compared under the same machine load).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-8}
for tool in go wrk curl python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
pgdbs=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for db in "${pgdbs[@]}"; do
		psql "$KEYHOOK_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)

echo "bench: building" >&2
go build -o "$tmp/keyhook" ./cmd/keyhook
go test -c -o "$tmp/signer.test" ./signer
if [ -n "${BASELINE:-}" ]; then
	mkdir "$tmp/baseline-src"
	git archive "$BASELINE" | tar -x -C "$tmp/baseline-src"
	(cd "$tmp/baseline-src" && go build -o "$tmp/keyhook-baseline" ./cmd/keyhook)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }

export KEYHOOK_ADMIN_CLIENT_ID=bench-admin
export KEYHOOK_ADMIN_CLIENT_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')

# start NAME DATABASE BINARY: runs keyhook serve and sets $url to its base URL (and $pprof to
# its profiler's, when it has one) once it answers.
start() {
	local name=$1 database=$2 bin=$3 port flags=()
	port=$(free_port)
	pprof=""
	if [[ "$("$bin" serve --help)" == *--pprof* ]]; then
		pprof="127.0.0.1:$(free_port)"
		flags=(--pprof "$pprof")
	fi
	mkdir -p "$tmp/$name"
	"$bin" serve --data-dir "$tmp/$name" --database "$database" --http "127.0.0.1:$port" --https "" \
		--domain "127.0.0.1:$port" --log-level warn --mgmt-rate-limit 0 "${flags[@]}" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids+=($!)
	url="http://127.0.0.1:$port"
	for _ in $(seq 100); do
		curl -fs "$url/.well-known/jwks.json" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "bench: keyhook ($name) did not start" >&2
	cat "$tmp/$name.err" >&2
	exit 1
}

# provision URL NAME: the credentials-exchange hook (with a secret), an API and an M2M client
# granted on it; writes the wrk script $tmp/NAME.lua.
provision() {
	local url=$1 name=$2 mgmt token hook client secret
	mgmt="https://${url#http://}/api/v2/"
	token=$(curl -fsS "$url/oauth/token" -H 'content-type: application/json' \
		-d '{"grant_type":"client_credentials","client_id":"'"$KEYHOOK_ADMIN_CLIENT_ID"'","client_secret":"'"$KEYHOOK_ADMIN_CLIENT_SECRET"'","audience":"'"$mgmt"'"}' | json '["access_token"]')
	api() { curl -fsS -X "$1" "$url/api/v2/$2" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$3"; }
	local script
	script=$(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <<'JS'
module.exports = function (client, scope, audience, context, cb) {
  var access_token = { scope: scope };
  access_token['https://example.test/plan'] = client.metadata.plan;
  if (context.webtask.secrets.SECRET) access_token.scope.push('extra:scope');
  cb(null, access_token);
};
JS
)
	hook=$(api POST hooks '{"name":"bench-hook","triggerId":"credentials-exchange","enabled":true,"script":'"$script"'}' | json '["id"]')
	api POST "hooks/$hook/secrets" '{"SECRET":"s"}' >/dev/null
	api POST resource-servers '{"name":"bench API","identifier":"https://bench.example.test/","scopes":[{"value":"read:a"},{"value":"write:a"},{"value":"extra:scope"}]}' >/dev/null
	local created
	created=$(api POST clients '{"name":"bench m2m","app_type":"non_interactive","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_post","client_metadata":{"plan":"gold"}}')
	client=$(json '["client_id"]' <<<"$created")
	secret=$(json '["client_secret"]' <<<"$created")
	api POST client-grants '{"client_id":"'"$client"'","audience":"https://bench.example.test/","scope":["read:a","write:a"]}' >/dev/null
	local body="grant_type=client_credentials&client_id=$client&client_secret=$secret&audience=https%3A%2F%2Fbench.example.test%2F"
	# The hook must have run: its scope is in the answer.
	local scope
	scope=$(curl -fsS "$url/oauth/token" -H 'content-type: application/x-www-form-urlencoded' -d "$body" | json '["scope"]')
	[ "$scope" = "read:a write:a extra:scope" ] || { echo "bench: $name: the hook did not run (scope $scope)" >&2; exit 1; }
	cat >"$tmp/$name.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
}

# sign_rate: tokens per second of Signer.Sign on every core.
sign_rate() {
	"$tmp/signer.test" -test.run '^$' -test.bench '^BenchmarkSignRS256$' -test.benchtime "${DURATION}s" -test.cpu "$(nproc)" |
		awk '/^BenchmarkSignRS256/ { for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") printf "%.0f\n", 1e9 / $i }'
}

# token_rate URL NAME SECONDS: requests per second of wrk on /oauth/token; every answer must be 200.
token_rate() {
	local out
	out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$3s" -s "$tmp/$2.lua" "$1/oauth/token")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench: $2: non-200 answers" >&2
		echo "$out" >&2
		exit 1
	fi
	awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' <<<"$out"
}

# setup NAME KIND BINARY: a server of KIND (sqlite, or postgres on a fresh database) provisioned
# for the benchmark; NAME joins the backends measured.
declare -A urls pprofs
backends=()
setup() {
	local name=$1 kind=$2 bin=$3 database=sqlite
	if [ "$kind" = postgres ]; then
		local db base
		db="keyhook_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
		psql "$KEYHOOK_TEST_POSTGRES_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db"
		pgdbs+=("$db")
		base="${KEYHOOK_TEST_POSTGRES_URL%%\?*}"
		database="${base%/*}/$db${KEYHOOK_TEST_POSTGRES_URL#"$base"}"
	fi
	start "$name" "$database" "$bin"
	urls[$name]=$url
	pprofs[$name]=$pprof
	provision "$url" "$name"
	backends+=("$name")
}
kinds=(sqlite)
if [ -n "${KEYHOOK_TEST_POSTGRES_URL:-}" ]; then
	kinds+=(postgres)
else
	echo "bench: KEYHOOK_TEST_POSTGRES_URL is not set: SQLite only" >&2
fi
for kind in "${kinds[@]}"; do
	setup "$kind" "$kind" "$tmp/keyhook"
	if [ -n "${BASELINE:-}" ]; then
		setup "$kind@$BASELINE" "$kind" "$tmp/keyhook-baseline"
	fi
done
for b in "${backends[@]}"; do
	token_rate "${urls[$b]}" "$b" 2 >/dev/null # warm up: runtimes, caches, connections
done

declare -A rates
for r in $(seq "$ROUNDS"); do
	sign=$(sign_rate)
	rates[sign]+="$sign "
	line="round $r: sign $sign/s"
	for b in "${backends[@]}"; do
		rate=$(token_rate "${urls[$b]}" "$b" "$DURATION")
		rates[$b]+="$rate "
		line+="  $b $rate/s ($(awk -v a="$rate" -v s="$sign" 'BEGIN { printf "%.2f", a / s }'))"
	done
	echo "$line"
done
load_after=$(loadavg)

if [ -n "${PROFILE_DIR:-}" ]; then
	mkdir -p "$PROFILE_DIR"
	cp "$tmp/keyhook" "$PROFILE_DIR/keyhook"
	for b in "${backends[@]}"; do
		[ -n "${pprofs[$b]}" ] || continue
		token_rate "${urls[$b]}" "$b" "$((DURATION + 2))" >/dev/null &
		load=$!
		sleep 1
		curl -fsS "http://${pprofs[$b]}/debug/pprof/profile?seconds=$DURATION" -o "$PROFILE_DIR/token-$b.pprof"
		wait "$load"
		echo "profile: $PROFILE_DIR/token-$b.pprof" >&2
	done
fi

# stats "v1 v2 …": median min max
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.0f %d %d\n", m, v[1], v[NR] }'; }
read -r sign_med sign_min sign_max <<<"$(stats "${rates[sign]}")"

echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
echo "load average (1/5/15 min): before $load_before, after $load_after"
echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s, $ROUNDS interleaved rounds, medians (min–max):"
printf '  %-34s %6s/s (%s–%s)\n' "raw RS256 sign, $(nproc) cores" "$sign_med" "$sign_min" "$sign_max"
for b in "${backends[@]}"; do
	read -r med min max <<<"$(stats "${rates[$b]}")"
	printf '  %-34s %6s/s (%s–%s)  ratio %s\n' "token + hook, $b" "$med" "$min" "$max" "$(awk -v a="$med" -v s="$sign_med" 'BEGIN { printf "%.2f", a / s }')"
done
