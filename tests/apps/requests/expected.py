import requests
import requests.utils


def _session():
    s = requests.Session()
    redirects = s.max_redirects
    s.close()
    return redirects


CASES = {
    "prepare": lambda: (
        requests.Request("GET", "https://example.org/get", params={"key": "value"}).prepare().url
    ),
    "prepare_headers": lambda: requests.utils.to_key_val_list(
        requests.Request("POST", "https://example.org/post", {"X-Test": "1"}).prepare().headers
    ),
    "requote_uri": lambda: requests.utils.requote_uri("http://example.org/a b"),
    "unquote_unreserved": lambda: requests.utils.unquote_unreserved("http://x/%7Efoo"),
    "session": _session,
    "parse_header_links": lambda: requests.utils.parse_header_links('<http://x/2>; rel="next"'),
    "codes_ok": lambda: requests.codes.ok,
    "case_insensitive_dict": lambda: requests.structures.CaseInsensitiveDict({"Accept": "json"})[
        "accept"
    ],
    "prepare_json": lambda: (
        requests.Request("POST", "https://example.org/post", json={"a": 1}).prepare().body
    ),
    "encoding_from_headers": lambda: requests.utils.get_encoding_from_headers(
        {"content-type": "text/html; charset=utf-8"}
    ),
    "basic_auth": lambda: (
        requests.Request(
            "GET", "https://example.org", auth=requests.auth.HTTPBasicAuth("user", "pass")
        )
        .prepare()
        .headers["Authorization"]
    ),
}
