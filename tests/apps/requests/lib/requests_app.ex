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
       end}
    ]
  end
end
