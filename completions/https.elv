
use builtin;
use str;

set edit:completion:arg-completer[https] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'https'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'https'= {
            cand --boundary 'The boundary string for multipart bodies'
            cand --raw 'Send DATA as the request body, as is'
            cand --pretty 'Output processing: all (format + colours), colors, format, none'
            cand -s 'Colour theme: auto (16 ANSI colours), solarized, monokai, mono'
            cand --style 'Colour theme: auto (16 ANSI colours), solarized, monokai, mono'
            cand --response-charset 'Decode the response body with this charset'
            cand --response-mime 'Treat the response body as this MIME type when formatting it'
            cand --format-options 'Formatting options: json.indent:N, json.sort_keys:B, headers.sort:B, xml.format:B, xml.indent:N'
            cand -p 'What to print: H request headers, B request body, h response headers, b response body, m meta. The last of -p, -h, -b and -m wins, as in HTTPie'
            cand --print 'What to print: H request headers, B request body, h response headers, b response body, m meta. The last of -p, -h, -b and -m wins, as in HTTPie'
            cand -P 'What to print for intermediate messages (defaults to --print)'
            cand --history-print 'What to print for intermediate messages (defaults to --print)'
            cand -o 'Write output to FILE instead of stdout'
            cand --output 'Write output to FILE instead of stdout'
            cand --as 'Print the request as a command or code instead of sending it: curl or python'
            cand --file 'Run the requests of a .http file in order, sharing one session and connection pool'
            cand --request 'Run only the request named NAME (### NAME, or # @name NAME); repeatable'
            cand --env 'Use the variables of environment NAME (from http-client.env.json beside the file)'
            cand --env-file 'The environment file to read instead of http-client.env.json beside the request file'
            cand --session 'Create, or read and update, a session (a name or a path)'
            cand --session-read-only 'Read a session without updating it'
            cand -a 'Credentials: USER[:PASS] (prompts for a missing password) or a bearer TOKEN'
            cand --auth 'Credentials: USER[:PASS] (prompts for a missing password) or a bearer TOKEN'
            cand -A 'The authentication scheme'
            cand --auth-type 'The authentication scheme'
            cand --aws-sigv4 'Sign with AWS Signature Version 4, as curl does: PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]], e.g. aws:amz:us-east-1:s3 (region and service default to the host name''s SERVICE.REGION.*); the keys are --auth ACCESS_KEY:SECRET_KEY'
            cand --proxy 'Proxy for a protocol: PROTOCOL:URL, e.g. http:http://proxy:3128 (repeatable)'
            cand --resolve 'Connect to ADDR for HOST:PORT, keeping the URL, Host and TLS name (repeatable)'
            cand --connect-to 'Send requests meant for HOST1:PORT1 to HOST2:PORT2; empty parts mean any/same (repeatable)'
            cand --interface 'Bind the local end of connections to this interface or local address'
            cand --unix-socket 'Send requests over this Unix domain socket (Host still comes from the URL)'
            cand --max-redirects 'The most redirects to follow (default 30)'
            cand --max-headers 'Fail when the response has more than N headers'
            cand --timeout 'SECONDS for connecting and for each read (no data for that long), or CONNECT,READ'
            cand --retries 'Retry up to N times: failed connections for any method, failed reads for idempotent ones'
            cand --retry-status 'Also retry on these statuses, e.g. 429,502,503,504 (Retry-After is honoured)'
            cand --retry-backoff 'The first retry delay in seconds, doubled for each retry, with jitter (default 0.5)'
            cand --retry-max-wait 'The longest wait before a retry, Retry-After included (default 30)'
            cand --verify 'Verify TLS certificates: yes, no, or a CA bundle path'
            cand --ssl 'Pin the TLS version: tls1.2 or tls1.3'
            cand --cert 'Client certificate (PEM; may include the key)'
            cand --cert-key 'Client private key (PEM), when not in --cert'
            cand --cert-key-pass 'Passphrase for an encrypted client key'
            cand --default-scheme 'The scheme for URLs given without one'
            cand -j 'Serialize data items as a JSON object (the default) and ask for JSON'
            cand --json 'Serialize data items as a JSON object (the default) and ask for JSON'
            cand -f 'Serialize data items as a URL-encoded form (multipart when there is a file item)'
            cand --form 'Serialize data items as a URL-encoded form (multipart when there is a file item)'
            cand --multipart 'Always send a multipart/form-data body'
            cand -x 'Deflate the request body when that makes it smaller; -xx always deflates'
            cand --compress 'Deflate the request body when that makes it smaller; -xx always deflates'
            cand --chunked 'Send the body with Transfer-Encoding: chunked'
            cand --sorted 'Sort response headers and JSON keys'
            cand --unsorted 'Keep the server''s header and key order (the default)'
            cand -h 'Print only the response headers (-p h)'
            cand --headers 'Print only the response headers (-p h)'
            cand -b 'Print only the response body (-p b)'
            cand --body 'Print only the response body (-p b)'
            cand -m 'Print only the response metadata: timings and remote address (-p m)'
            cand --meta 'Print only the response metadata: timings and remote address (-p m)'
            cand -v 'Print the whole exchange (--all -p HBhb); -vv adds meta'
            cand --verbose 'Print the whole exchange (--all -p HBhb); -vv adds meta'
            cand --all 'Also show intermediate messages (redirects, auth challenges)'
            cand -S 'Stream the response body line by line, as it arrives'
            cand --stream 'Stream the response body line by line, as it arrives'
            cand -d 'Download the body to a file, like wget'
            cand --download 'Download the body to a file, like wget'
            cand -c 'Resume a partial download (needs --output)'
            cand --continue 'Resume a partial download (needs --output)'
            cand -q 'Print nothing on stdout (-qq: no warnings either). Errors are always shown'
            cand --quiet 'Print nothing on stdout (-qq: no warnings either). Errors are always shown'
            cand --fail-fast 'Stop at the first request that fails (by default the rest still run)'
            cand --ignore-netrc 'Do not read credentials from ~/.netrc'
            cand --offline 'Build and print the request without sending it'
            cand -4 'Connect over IPv4 only'
            cand --ipv4 'Connect over IPv4 only'
            cand -6 'Connect over IPv6 only'
            cand --ipv6 'Connect over IPv6 only'
            cand -F 'Follow redirects'
            cand --follow 'Follow redirects'
            cand --no-follow 'Do not follow redirects (overrides a config file''s default)'
            cand --check-status 'Exit 3/4/5 for a 3xx/4xx/5xx response (like requests'' raise_for_status())'
            cand --path-as-is 'Send the URL path as given, without collapsing ./ and ../ segments'
            cand -I 'Never read a request body from stdin'
            cand --ignore-stdin 'Never read a request body from stdin'
            cand --config-show 'Print the settings that would apply to URL, and where each one comes from'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
