defmodule RequestsApp do
  @moduledoc "requests as its documentation writes it (requests.readthedocs.io), offline parts only."

  def cases do
    [
      # req = requests.Request('GET', 'https://example.org/get', params={'key': 'value'})
      # req.prepare().url
      {"prepare",
       fn ->
         Requests.Request.new!("GET", "https://example.org/get", params: %{"key" => "value"})
         |> Requests.Request.prepare!()
         |> Requests.PreparedRequest.url!()
       end},
      # positional data and headers, as Request(method, url, headers, files, data, params)
      {"prepare_headers",
       fn ->
         Requests.Request.new!("POST", "https://example.org/post", %{"X-Test" => "1"})
         |> Requests.Request.prepare!()
         |> Requests.PreparedRequest.headers!()
         |> Requests.Utils.to_key_val_list!()
       end},
      # requests.utils.requote_uri("http://example.org/a b")
      {"requote_uri", fn -> Requests.Utils.requote_uri!("http://example.org/a b") end},
      # requests.utils.quote / unquote_unreserved
      {"unquote_unreserved", fn -> Requests.Utils.unquote_unreserved!("http://x/%7Efoo") end},
      # s = requests.Session(); s.max_redirects; s.close()
      {"session",
       fn ->
         s = Requests.Session.new!()
         redirects = Requests.Session.max_redirects!(s)
         Requests.Session.close!(s)
         redirects
       end},
      # requests.utils.parse_header_links('<http://x>; rel="next"')
      {"parse_header_links",
       fn -> Requests.Utils.parse_header_links!("<http://x/2>; rel=\"next\"") end},

      # requests.codes.ok: a LookupDict, read by attribute through its __getattr__
      {"codes_ok", fn -> Requests.codes!() |> Requests.Structures.LookupDict.ok!() end},
      # requests.structures.CaseInsensitiveDict({"Accept": "json"})["accept"]
      {"case_insensitive_dict",
       fn ->
         Requests.Structures.CaseInsensitiveDict.new!(%{"Accept" => "json"})
         |> SnakeBridge.get_item!("accept")
       end},
      # requests.Request("POST", url, json={"a": 1}).prepare().body
      {"prepare_json",
       fn ->
         Requests.Request.new!("POST", "https://example.org/post", json: %{"a" => 1})
         |> Requests.Request.prepare!()
         |> Requests.PreparedRequest.body!()
       end},
      # requests.utils.get_encoding_from_headers({"content-type": "text/html; charset=utf-8"})
      {"encoding_from_headers",
       fn ->
         Requests.Utils.get_encoding_from_headers!(%{"content-type" => "text/html; charset=utf-8"})
       end},

      # requests.Request("GET", url, auth=HTTPBasicAuth("user", "pass")).prepare().headers["Authorization"]
      {"basic_auth",
       fn ->
         auth = Requests.Auth.HTTPBasicAuth.new!("user", "pass")

         Requests.Request.new!("GET", "https://example.org", auth: auth)
         |> Requests.Request.prepare!()
         |> Requests.PreparedRequest.headers!()
         |> SnakeBridge.get_item!("Authorization")
       end},
      # jinja2 (jinja.palletsprojects.com, API) and packaging (packaging.pypa.io),
      # pure-Python libraries of the same environment
      {"jinja_template",
       fn ->
         Jinja2.Template.new!("Hello {{ name }}!") |> Jinja2.Template.render!(name: "John Doe")
       end},
      {"jinja_render_dict",
       fn ->
         Jinja2.Template.new!("{{ a }}-{{ b }}") |> Jinja2.Template.render!(%{"a" => 1, "b" => 2})
       end},
      {"jinja_for",
       fn ->
         Jinja2.Template.new!("{% for i in items %}{{ i }},{% endfor %}")
         |> Jinja2.Template.render!(items: [1, 2, 3])
       end},
      {"jinja_autoescape",
       fn ->
         Jinja2.Environment.new!(autoescape: true)
         |> Jinja2.Environment.from_string!("{{ x }}")
         |> Jinja2.Template.render!(x: "<b>")
       end},
      {"jinja_dictloader",
       fn ->
         loader = Jinja2.DictLoader.new!(%{"index.html" => "source {{ x }}"})

         Jinja2.Environment.new!(loader: loader)
         |> Jinja2.Environment.get_template!("index.html")
         |> Jinja2.Template.render!(x: 1)
       end},
      {"version_str", fn -> Packaging.Version.Version.new!("1.0.0") |> to_string() end},
      {"version_major",
       fn -> Packaging.Version.Version.new!("2.3.4") |> Packaging.Version.Version.major!() end},
      {"version_prerelease",
       fn -> Packaging.Version.parse!("1.0a1") |> Packaging.Version.Version.is_prerelease!() end},
      {"specifier_contains",
       fn ->
         Packaging.Specifiers.SpecifierSet.new!(">=1.0")
         |> Packaging.Specifiers.SpecifierSet.contains!("1.5")
       end},
      {"specifier_filter",
       fn ->
         Packaging.Specifiers.SpecifierSet.new!("~=1.0")
         |> Packaging.Specifiers.SpecifierSet.filter!(["1.0", "1.3", "2.0"])
         |> Builtins.list!()
       end},
      {"requirement_name",
       fn ->
         Packaging.Requirements.Requirement.new!(~s(name[bar]>=2,<3; python_version>"2.0"))
         |> Packaging.Requirements.Requirement.name!()
       end},
      {"canonicalize_name",
       fn -> Packaging.Utils.canonicalize_name!("Django_REST.framework") end},
      {"marker_evaluate",
       fn ->
         Packaging.Markers.Marker.new!(~s(python_version >= "3.0"))
         |> Packaging.Markers.Marker.evaluate!()
       end}
    ]
  end
end
