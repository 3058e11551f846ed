complete -c https -l boundary -d 'The boundary string for multipart bodies' -r
complete -c https -l raw -d 'Send DATA as the request body, as is' -r
complete -c https -l pretty -d 'Output processing: all (format + colours), colors, format, none' -r -f -a "all\t''
colors\t''
format\t''
none\t''"
complete -c https -s s -l style -d 'Colour theme: auto (16 ANSI colours), solarized, monokai, mono' -r -f -a "auto\t''
solarized\t''
monokai\t''
mono\t''"
complete -c https -l response-charset -d 'Decode the response body with this charset' -r
complete -c https -l response-mime -d 'Treat the response body as this MIME type when formatting it' -r
complete -c https -l format-options -d 'Formatting options: json.indent:N, json.sort_keys:B, headers.sort:B, xml.format:B, xml.indent:N' -r -f -a "headers.sort:true\t''
headers.sort:false\t''
json.format:true\t''
json.format:false\t''
json.indent:2\t''
json.indent:4\t''
json.sort_keys:true\t''
json.sort_keys:false\t''
xml.format:true\t''
xml.format:false\t''
xml.indent:2\t''
xml.indent:4\t''"
complete -c https -s p -l print -d 'What to print: H request headers, B request body, h response headers, b response body, m meta. The last of -p, -h, -b and -m wins, as in HTTPie' -r
complete -c https -s P -l history-print -d 'What to print for intermediate messages (defaults to --print)' -r
complete -c https -s o -l output -d 'Write output to FILE instead of stdout' -r -F
complete -c https -s w -l write-out -d 'When the exchange ends (an error too), print FORMAT with curl\'s variables, e.g. \'%{http_code}\\n\', %{time_total}, %header{name}, %{json}; @FILE or @- reads it' -r
complete -c https -l as -d 'Print the request as a command or code instead of sending it: curl or python' -r -f -a "curl\t''
python\t''"
complete -c https -l file -d 'Run the requests of a .http file in order, sharing one session and connection pool' -r -F
complete -c https -l request -d 'Run only the request named NAME (### NAME, or # @name NAME); repeatable' -r
complete -c https -l env -d 'Use the variables of environment NAME (from http-client.env.json beside the file)' -r
complete -c https -l env-file -d 'The environment file to read instead of http-client.env.json beside the request file' -r -F
complete -c https -l session -d 'Create, or read and update, a session (a name or a path)' -r
complete -c https -l session-read-only -d 'Read a session without updating it' -r
complete -c https -l cookie-jar -d 'Send the cookies of FILE (Netscape cookies.txt, as curl -b/-c and browser exports write it) and write it back with the cookies the responses set; a missing FILE is created. Works with or without --session' -r
complete -c https -s a -l auth -d 'Credentials: USER[:PASS] (prompts for a missing password) or a bearer TOKEN' -r
complete -c https -s A -l auth-type -d 'The authentication scheme' -r -f -a "basic\t''
digest\t''
bearer\t''"
complete -c https -l aws-sigv4 -d 'Sign with AWS Signature Version 4, as curl does: PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]], e.g. aws:amz:us-east-1:s3 (region and service default to the host name\'s SERVICE.REGION.*); the keys are --auth ACCESS_KEY:SECRET_KEY' -r
complete -c https -l proxy -d 'Proxy for a protocol: PROTOCOL:URL, e.g. http:http://proxy:3128 (repeatable)' -r
complete -c https -l resolve -d 'Connect to ADDR for HOST:PORT, keeping the URL, Host and TLS name (repeatable)' -r
complete -c https -l connect-to -d 'Send requests meant for HOST1:PORT1 to HOST2:PORT2; empty parts mean any/same (repeatable)' -r
complete -c https -l interface -d 'Bind the local end of connections to this interface or local address' -r
complete -c https -l unix-socket -d 'Send requests over this Unix domain socket (Host still comes from the URL)' -r -F
complete -c https -l max-redirects -d 'The most redirects to follow (default 30)' -r
complete -c https -l max-headers -d 'Fail when the response has more than N headers' -r
complete -c https -l timeout -d 'SECONDS for connecting and for each read (no data for that long), or CONNECT,READ' -r
complete -c https -l max-time -d 'One deadline in SECONDS for the whole exchange: redirects, retries and their waits, and the body (like curl\'s --max-time; 0: none)' -r
complete -c https -l http-version -d 'HTTP version: 1.1 (default), 2 (over TLS, offered by ALPN), or 2-prior-knowledge (HTTP/2 from the first byte, also over plain http://)' -r -f -a "1.1\t''
2\t''
2-prior-knowledge\t''"
complete -c https -l retries -d 'Retry up to N times: failed connections for any method, failed reads for idempotent ones' -r
complete -c https -l retry-status -d 'Also retry on these statuses, e.g. 429,502,503,504 (Retry-After is honoured)' -r
complete -c https -l retry-backoff -d 'The first retry delay in seconds, doubled for each retry, with jitter (default 0.5)' -r
complete -c https -l retry-max-wait -d 'The longest wait before a retry, Retry-After included (default 30)' -r
complete -c https -l verify -d 'Verify TLS certificates: yes, no, or a CA bundle path' -r
complete -c https -l ssl -d 'Pin the TLS version: tls1.2 or tls1.3' -r -f -a "tls1.2\t''
tls1.3\t''"
complete -c https -l cert -d 'Client certificate (PEM; may include the key)' -r -F
complete -c https -l cert-key -d 'Client private key (PEM), when not in --cert' -r -F
complete -c https -l cert-key-pass -d 'Passphrase for an encrypted client key' -r
complete -c https -l default-scheme -d 'The scheme for URLs given without one' -r -f -a "http\t''
https\t''"
complete -c https -s j -l json -d 'Serialize data items as a JSON object (the default) and ask for JSON'
complete -c https -s f -l form -d 'Serialize data items as a URL-encoded form (multipart when there is a file item)'
complete -c https -l multipart -d 'Always send a multipart/form-data body'
complete -c https -s x -l compress -d 'Deflate the request body when that makes it smaller; -xx always deflates'
complete -c https -l chunked -d 'Send the body with Transfer-Encoding: chunked'
complete -c https -l sorted -d 'Sort response headers and JSON keys'
complete -c https -l unsorted -d 'Keep the server\'s header and key order (the default)'
complete -c https -s h -l headers -d 'Print only the response headers (-p h)'
complete -c https -s b -l body -d 'Print only the response body (-p b)'
complete -c https -s m -l meta -d 'Print only the response metadata: timings and remote address (-p m)'
complete -c https -s v -l verbose -d 'Print the whole exchange (--all -p HBhb); -vv adds meta'
complete -c https -l all -d 'Also show intermediate messages (redirects, auth challenges)'
complete -c https -s S -l stream -d 'Stream the response body line by line, as it arrives'
complete -c https -s d -l download -d 'Download the body to a file, like wget'
complete -c https -s c -l continue -d 'Resume a partial download (needs --output)'
complete -c https -s q -l quiet -d 'Print nothing on stdout (-qq: no warnings either). Errors are always shown'
complete -c https -l fail-fast -d 'Stop at the first request that fails (by default the rest still run)'
complete -c https -l ignore-netrc -d 'Do not read credentials from ~/.netrc'
complete -c https -l offline -d 'Build and print the request without sending it'
complete -c https -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c https -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c https -s F -l follow -d 'Follow redirects'
complete -c https -l no-follow -d 'Do not follow redirects (overrides a config file\'s default)'
complete -c https -l check-status -d 'Exit 3/4/5 for a 3xx/4xx/5xx response (like requests\' raise_for_status())'
complete -c https -l path-as-is -d 'Send the URL path as given, without collapsing ./ and ../ segments'
complete -c https -s I -l ignore-stdin -d 'Never read a request body from stdin'
complete -c https -l config-show -d 'Print the settings that would apply to URL, and where each one comes from'
complete -c https -l help -d 'Print help'
complete -c https -s V -l version -d 'Print version'
