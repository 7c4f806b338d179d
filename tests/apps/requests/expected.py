import jinja2
import packaging.markers
import packaging.requirements
import packaging.specifiers
import packaging.utils
import packaging.version
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
    "jinja_template": lambda: jinja2.Template("Hello {{ name }}!").render(name="John Doe"),
    "jinja_render_dict": lambda: jinja2.Template("{{ a }}-{{ b }}").render({"a": 1, "b": 2}),
    "jinja_for": lambda: jinja2.Template("{% for i in items %}{{ i }},{% endfor %}").render(
        items=[1, 2, 3]
    ),
    "jinja_autoescape": lambda: (
        jinja2.Environment(autoescape=True).from_string("{{ x }}").render(x="<b>")
    ),
    "jinja_dictloader": lambda: (
        jinja2.Environment(loader=jinja2.DictLoader({"index.html": "source {{ x }}"}))
        .get_template("index.html")
        .render(x=1)
    ),
    "version_str": lambda: str(packaging.version.Version("1.0.0")),
    "version_major": lambda: packaging.version.Version("2.3.4").major,
    "version_prerelease": lambda: packaging.version.parse("1.0a1").is_prerelease,
    "specifier_contains": lambda: packaging.specifiers.SpecifierSet(">=1.0").contains("1.5"),
    "specifier_filter": lambda: list(
        packaging.specifiers.SpecifierSet("~=1.0").filter(["1.0", "1.3", "2.0"])
    ),
    "requirement_name": lambda: (
        packaging.requirements.Requirement('name[bar]>=2,<3; python_version>"2.0"').name
    ),
    "canonicalize_name": lambda: packaging.utils.canonicalize_name("Django_REST.framework"),
    "marker_evaluate": lambda: packaging.markers.Marker('python_version >= "3.0"').evaluate(),
}
