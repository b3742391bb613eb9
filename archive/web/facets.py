"""The browser's own facets: articles (or readings, or runs) per province, and per year."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_removed_args, path_with_replaced_args

from portals.registry import province_key, site_places


class _Facet(Facet):  # type: ignore[misc]
    """A facet over a value computed from a column; subclasses say how and how to filter by it."""

    label = ""

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def counts(self, column: str) -> list[tuple[str, int]]:
        raise NotImplementedError

    def selected(self, column: str, value: str) -> bool:
        raise NotImplementedError

    def toggle(self, column: str, value: str, selected: bool) -> str:
        raise NotImplementedError

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            column = source_and_config["config"].get("column") or source_and_config["config"]["simple"]
            try:
                counts = await self.counts(column)
            except QueryInterrupted:
                timed_out.append(self.label)
                continue
            values = []
            for value, n in counts[:size]:
                selected = self.selected(column, value)
                url = self.ds.absolute_url(self.request, self.ds.urls.path(self.toggle(column, value, selected)))
                values.append({"value": value, "label": value, "count": n, "toggle_url": url, "selected": selected})
            results.append(
                {
                    # "year" of the publication date; of another column, says which ("year gone since")
                    "name": self.label if column in _OWN_COLUMNS else f"{self.label} {column.replace('_', ' ')}",
                    "type": "column",  # shown as "province", not "province (province)"
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}": column})),
                    "results": values,
                    "truncated": len(counts) > size,
                }
            )
        return results, timed_out

    async def _query(self, sql: str) -> list[Any]:
        limit = self.ds.setting("facet_time_limit_ms")
        return list(await self.ds.execute(self.database, sql, self.params, truncate=False, custom_time_limit=limit))


class ProvinceFacet(_Facet):
    """Articles (or readings, or runs) per province: the registry's current province of each site."""

    type = "province"
    label = "province"

    async def counts(self, column: str) -> list[tuple[str, int]]:
        rows = await self._query(f"select {escape_sqlite(column)} as value, count(*) as n from ({self.sql}) group by value")
        places, by_province = site_places(), defaultdict[str, int](int)
        for row in rows:
            if row["value"] in places:
                by_province[places[row["value"]]["province"]] += row["n"]
        return sorted(by_province.items(), key=lambda kv: (-kv[1], kv[0]))

    def selected(self, column: str, value: str) -> bool:
        chosen = self.request.args.get("_province")
        return bool(chosen) and province_key(chosen) == province_key(value)

    def toggle(self, column: str, value: str, selected: bool) -> str:
        if selected:
            return path_with_removed_args(self.request, {"_province": self.request.args.get("_province")})
        return path_with_replaced_args(self.request, {"_province": value})


_OWN_COLUMNS = frozenset({"site", "date", "observed_at"})  # what a facet of its kind is of, unless said


class YearFacet(_Facet):
    """Rows per year of a date column (articles by publication year), newest first."""

    type = "year"
    label = "year"

    async def counts(self, column: str) -> list[tuple[str, int]]:
        col = escape_sqlite(column)
        rows = await self._query(
            f"select substr({col}, 1, 4) as value, count(*) as n from ({self.sql}) "
            "where value glob '[0-9][0-9][0-9][0-9]' group by value order by value desc"
        )
        return [(row["value"], row["n"]) for row in rows]

    def selected(self, column: str, value: str) -> bool:
        return self.request.args.get(f"{column}__startswith") == value

    def toggle(self, column: str, value: str, selected: bool) -> str:
        key = f"{column}__startswith"
        if selected:
            return path_with_removed_args(self.request, {key: value})
        return path_with_replaced_args(self.request, {key: value})
