"""On-demand articles and structured contents: fields, filters, limit, NDJSON, metadata."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.conftest import Partners, auth


def test_an_article_on_demand_is_the_stored_record_with_enterprise_fields(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    import msgspec

    response = client.get("/v2/articles/Anarchism", headers=auth(partners.acme))
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    [article] = response.json()
    stored = json.loads(msgspec.json.encode(app.state.services.store().find("Anarchism")[0]))
    assert _within(stored, article)  # every stored field as stored; objects may gain fields
    marks = [
        c["text"]
        for s in article["sections"]
        for p in s.get("has_parts", ())
        for c in p.get("citations", ())
    ]
    assert marks and all(m.startswith("[") and m.endswith("]") for m in marks)
    added = set(article) - set(stored)
    # the 2012 sample has no parent ids and one revision per page: no creation time or
    # previous revision to tell
    assert added == {"redirects", "visibility"}, added
    assert article["is_part_of"] | {} == stored["is_part_of"] | {
        "code": "wiki",
        "name": "Wikipedia",
    }
    assert article["in_language"]["name"] == "English"
    assert article["namespace"] == {"identifier": 0, "name": "Articles"}
    assert article["visibility"] == {"text": True, "editor": True, "comment": True}
    assert article["article_body"]["wikitext"].startswith("{{")
    assert article["claims"] and article["references"]


def _within(stored: object, served: object) -> bool:
    """``stored`` is in ``served``: equal, but for fields objects gain in the served form."""
    if isinstance(stored, dict):
        return isinstance(served, dict) and all(
            k in served and _within(v, served[k]) for k, v in stored.items()
        )
    if isinstance(stored, list):
        return (
            isinstance(served, list)
            and len(stored) == len(served)
            and all(_within(a, b) for a, b in zip(stored, served, strict=True))
        )
    return stored == served


def test_fields_select_dot_paths(client: TestClient, partners: Partners) -> None:
    response = client.get(
        "/v2/articles/Anarchism",
        params={"fields": "name,version.identifier,is_part_of.identifier,references.identifier"},
        headers=auth(partners.acme),
    )
    [article] = response.json()
    assert set(article) == {"name", "version", "is_part_of", "references"}
    assert set(article["version"]) == {"identifier"}
    assert all(set(r) == {"identifier"} for r in article["references"])
    assert len(article["references"]) > 100


def test_post_with_filters_and_ndjson(client: TestClient, partners: Partners) -> None:
    body = {
        "fields": ["name", "in_language.identifier"],
        "filters": [{"field": "in_language.identifier", "value": "en"}],
        "limit": 1,
    }
    response = client.post(
        "/v2/articles/Albedo",
        json=body,
        headers=auth(partners.acme) | {"Accept": "application/x-ndjson"},
    )
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.text.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"name": "Albedo", "in_language": {"identifier": "en"}}
    ]
    miss = client.post(
        "/v2/articles/Albedo",
        json={"filters": [{"field": "in_language.identifier", "value": "de"}]},
        headers=auth(partners.acme),
    )
    assert miss.status_code == 404


def test_structured_contents_leave_out_the_wikitext(client: TestClient, partners: Partners) -> None:
    [article] = client.get("/v2/structured-contents/Anarchism", headers=auth(partners.acme)).json()
    assert "article_body" not in article
    assert article["sections"] and article["abstract"].startswith("Anarchism")
    claim = article["claims"][0]
    assert article["text"][claim["start"] : claim["end"]] == claim["text"]


def test_marathi_titles_work_for_the_entitled_partner(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    store = app.state.services.store()
    title = next(
        a.name
        for a in store.articles_between("mrwiki", 0, 10**9)
        if a.namespace.identifier == 0 and a.redirect_target is None
    )
    response = client.get(f"/v2/articles/{title}", headers=auth(partners.beta))
    assert response.status_code == 200
    assert response.json()[0]["is_part_of"]["identifier"] == "mrwiki"


def test_bad_parameters_are_422_in_the_error_shape(client: TestClient, partners: Partners) -> None:
    for params in ({"limit": "0"}, {"limit": "1000"}, {"filters": "no-colon"}):
        response = client.get("/v2/articles/Albedo", params=params, headers=auth(partners.acme))
        assert response.status_code == 422, params
        assert set(response.json()) == {"message", "status"}


def test_the_openapi_document_carries_the_article_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    article = spec["components"]["schemas"]["Article"]
    assert {"name", "identifier", "claims", "provenance"} <= set(article["properties"])
    assert "/v2/articles/{name}" in spec["paths"] and "/v2/realtime/articles" in spec["paths"]
    get = spec["paths"]["/v2/articles/{name}"]["get"]
    assert get["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_nul_characters_are_refused_the_same_on_both_backends(
    client: TestClient, partners: Partners
) -> None:
    """PostgreSQL text cannot hold NUL: a request carrying one is a 400 on every backend (found
    by the contract fuzzer as a 500 from PostgreSQL), never a database error."""
    refused = client.get("/v2/articles/Anar%00chism", headers=auth(partners.acme))
    assert refused.status_code == 400 and "NUL" in refused.json()["message"], refused.text
    for body in (
        {"identifier": "nul-test", "name": "Nul", "contact": "a\x00b"},
        {"identifier": "nul-test", "name": "N\x00ul"},
    ):
        made = client.post("/v2/admin/partners", json=body, headers=auth(partners.admin))
        assert made.status_code == 400 and "NUL" in made.json()["message"], made.text
    listed = client.get("/v2/admin/partners", headers=auth(partners.admin)).json()
    assert "nul-test" not in json.dumps(listed)
