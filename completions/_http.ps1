
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'http' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'http'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'http' {
            [CompletionResult]::new('--boundary', '--boundary', [CompletionResultType]::ParameterName, 'The boundary string for multipart bodies')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Send DATA as the request body, as is')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Output processing: all (format + colours), colors, format, none')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Colour theme: auto (16 ANSI colours), solarized, monokai, mono')
            [CompletionResult]::new('--style', '--style', [CompletionResultType]::ParameterName, 'Colour theme: auto (16 ANSI colours), solarized, monokai, mono')
            [CompletionResult]::new('--response-charset', '--response-charset', [CompletionResultType]::ParameterName, 'Decode the response body with this charset')
            [CompletionResult]::new('--response-mime', '--response-mime', [CompletionResultType]::ParameterName, 'Treat the response body as this MIME type when formatting it')
            [CompletionResult]::new('--format-options', '--format-options', [CompletionResultType]::ParameterName, 'Formatting options: json.indent:N, json.sort_keys:B, headers.sort:B, xml.format:B, xml.indent:N')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'What to print: H request headers, B request body, h response headers, b response body, m meta. The last of -p, -h, -b and -m wins, as in HTTPie')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'What to print: H request headers, B request body, h response headers, b response body, m meta. The last of -p, -h, -b and -m wins, as in HTTPie')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'What to print for intermediate messages (defaults to --print)')
            [CompletionResult]::new('--history-print', '--history-print', [CompletionResultType]::ParameterName, 'What to print for intermediate messages (defaults to --print)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write output to FILE instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write output to FILE instead of stdout')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'When the exchange ends (an error too), print FORMAT with curl''s variables, e.g. ''%{http_code}\n'', %{time_total}, %header{name}, %{json}; @FILE or @- reads it')
            [CompletionResult]::new('--write-out', '--write-out', [CompletionResultType]::ParameterName, 'When the exchange ends (an error too), print FORMAT with curl''s variables, e.g. ''%{http_code}\n'', %{time_total}, %header{name}, %{json}; @FILE or @- reads it')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Print the request as a command or code instead of sending it: curl or python')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Run the requests of a .http file in order, sharing one session and connection pool')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Run only the request named NAME (### NAME, or # @name NAME); repeatable')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Use the variables of environment NAME (from http-client.env.json beside the file)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'The environment file to read instead of http-client.env.json beside the request file')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'Create, or read and update, a session (a name or a path)')
            [CompletionResult]::new('--session-read-only', '--session-read-only', [CompletionResultType]::ParameterName, 'Read a session without updating it')
            [CompletionResult]::new('--cookie-jar', '--cookie-jar', [CompletionResultType]::ParameterName, 'Send the cookies of FILE (Netscape cookies.txt, as curl -b/-c and browser exports write it) and write it back with the cookies the responses set; a missing FILE is created. Works with or without --session')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Credentials: USER[:PASS] (prompts for a missing password) or a bearer TOKEN')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Credentials: USER[:PASS] (prompts for a missing password) or a bearer TOKEN')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'The authentication scheme')
            [CompletionResult]::new('--auth-type', '--auth-type', [CompletionResultType]::ParameterName, 'The authentication scheme')
            [CompletionResult]::new('--aws-sigv4', '--aws-sigv4', [CompletionResultType]::ParameterName, 'Sign with AWS Signature Version 4, as curl does: PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]], e.g. aws:amz:us-east-1:s3 (region and service default to the host name''s SERVICE.REGION.*); the keys are --auth ACCESS_KEY:SECRET_KEY')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Proxy for a protocol: PROTOCOL:URL, e.g. http:http://proxy:3128 (repeatable)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Connect to ADDR for HOST:PORT, keeping the URL, Host and TLS name (repeatable)')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Send requests meant for HOST1:PORT1 to HOST2:PORT2; empty parts mean any/same (repeatable)')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Bind the local end of connections to this interface or local address')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Send requests over this Unix domain socket (Host still comes from the URL)')
            [CompletionResult]::new('--max-redirects', '--max-redirects', [CompletionResultType]::ParameterName, 'The most redirects to follow (default 30)')
            [CompletionResult]::new('--max-headers', '--max-headers', [CompletionResultType]::ParameterName, 'Fail when the response has more than N headers')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'SECONDS for connecting and for each read (no data for that long), or CONNECT,READ')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'One deadline in SECONDS for the whole exchange: redirects, retries and their waits, and the body (like curl''s --max-time; 0: none)')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: 1.1 (default), 2 (over TLS, offered by ALPN), or 2-prior-knowledge (HTTP/2 from the first byte, also over plain http://)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry up to N times: failed connections for any method, failed reads for idempotent ones')
            [CompletionResult]::new('--retry-status', '--retry-status', [CompletionResultType]::ParameterName, 'Also retry on these statuses, e.g. 429,502,503,504 (Retry-After is honoured)')
            [CompletionResult]::new('--retry-backoff', '--retry-backoff', [CompletionResultType]::ParameterName, 'The first retry delay in seconds, doubled for each retry, with jitter (default 0.5)')
            [CompletionResult]::new('--retry-max-wait', '--retry-max-wait', [CompletionResultType]::ParameterName, 'The longest wait before a retry, Retry-After included (default 30)')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Verify TLS certificates: yes, no, or a CA bundle path')
            [CompletionResult]::new('--ssl', '--ssl', [CompletionResultType]::ParameterName, 'Pin the TLS version: tls1.2 or tls1.3')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM; may include the key)')
            [CompletionResult]::new('--cert-key', '--cert-key', [CompletionResultType]::ParameterName, 'Client private key (PEM), when not in --cert')
            [CompletionResult]::new('--cert-key-pass', '--cert-key-pass', [CompletionResultType]::ParameterName, 'Passphrase for an encrypted client key')
            [CompletionResult]::new('--default-scheme', '--default-scheme', [CompletionResultType]::ParameterName, 'The scheme for URLs given without one')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Serialize data items as a JSON object (the default) and ask for JSON')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Serialize data items as a JSON object (the default) and ask for JSON')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Serialize data items as a URL-encoded form (multipart when there is a file item)')
            [CompletionResult]::new('--form', '--form', [CompletionResultType]::ParameterName, 'Serialize data items as a URL-encoded form (multipart when there is a file item)')
            [CompletionResult]::new('--multipart', '--multipart', [CompletionResultType]::ParameterName, 'Always send a multipart/form-data body')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Deflate the request body when that makes it smaller; -xx always deflates')
            [CompletionResult]::new('--compress', '--compress', [CompletionResultType]::ParameterName, 'Deflate the request body when that makes it smaller; -xx always deflates')
            [CompletionResult]::new('--chunked', '--chunked', [CompletionResultType]::ParameterName, 'Send the body with Transfer-Encoding: chunked')
            [CompletionResult]::new('--sorted', '--sorted', [CompletionResultType]::ParameterName, 'Sort response headers and JSON keys')
            [CompletionResult]::new('--unsorted', '--unsorted', [CompletionResultType]::ParameterName, 'Keep the server''s header and key order (the default)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print only the response headers (-p h)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Print only the response headers (-p h)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Print only the response body (-p b)')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Print only the response body (-p b)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Print only the response metadata: timings and remote address (-p m)')
            [CompletionResult]::new('--meta', '--meta', [CompletionResultType]::ParameterName, 'Print only the response metadata: timings and remote address (-p m)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the whole exchange (--all -p HBhb); -vv adds meta')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the whole exchange (--all -p HBhb); -vv adds meta')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also show intermediate messages (redirects, auth challenges)')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Stream the response body line by line, as it arrives')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'Stream the response body line by line, as it arrives')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Download the body to a file, like wget')
            [CompletionResult]::new('--download', '--download', [CompletionResultType]::ParameterName, 'Download the body to a file, like wget')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Resume a partial download (needs --output)')
            [CompletionResult]::new('--continue', '--continue', [CompletionResultType]::ParameterName, 'Resume a partial download (needs --output)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout (-qq: no warnings either). Errors are always shown')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout (-qq: no warnings either). Errors are always shown')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop at the first request that fails (by default the rest still run)')
            [CompletionResult]::new('--ignore-netrc', '--ignore-netrc', [CompletionResultType]::ParameterName, 'Do not read credentials from ~/.netrc')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Build and print the request without sending it')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Connect over IPv6 only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Connect over IPv6 only')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Follow redirects')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow redirects')
            [CompletionResult]::new('--no-follow', '--no-follow', [CompletionResultType]::ParameterName, 'Do not follow redirects (overrides a config file''s default)')
            [CompletionResult]::new('--check-status', '--check-status', [CompletionResultType]::ParameterName, 'Exit 3/4/5 for a 3xx/4xx/5xx response (like requests'' raise_for_status())')
            [CompletionResult]::new('--path-as-is', '--path-as-is', [CompletionResultType]::ParameterName, 'Send the URL path as given, without collapsing ./ and ../ segments')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Never read a request body from stdin')
            [CompletionResult]::new('--ignore-stdin', '--ignore-stdin', [CompletionResultType]::ParameterName, 'Never read a request body from stdin')
            [CompletionResult]::new('--config-show', '--config-show', [CompletionResultType]::ParameterName, 'Print the settings that would apply to URL, and where each one comes from')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
