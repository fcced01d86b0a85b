"""YAML front matter of Markdown articles, read safely: plain data only, no aliases, bounded size
and nesting, dates left as text."""

from __future__ import annotations

import functools

from retrieval.admission import UnreadableArticle

# Front matter larger than this is not metadata: the article is refused rather than parsed.
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_FRONT_MATTER_DEPTH = 20


def read_front_matter(source: str) -> object:
    """The YAML front matter's value, read safely: plain data only, no aliases (a few hundred bytes
    of nested aliases expand to gigabytes), bounded nesting and size, dates left as text.

    Raises `UnreadableArticle` for front matter that is invalid or refused.
    """
    import yaml  # only .md articles need it

    if len(source.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise UnreadableArticle(
            f"its front matter is over {MAX_FRONT_MATTER_BYTES // 1024} KiB: keep it to title, date, source and url"
        )
    loader = _front_matter_loader()(source)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise UnreadableArticle(f"its YAML front matter {exc}") from exc
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # and an explicit !!timestamp that is no date
        raise UnreadableArticle(f"its YAML front matter is invalid ({exc.__class__.__name__}): fix or remove it") from exc
    finally:
        loader.dispose()


class _Refused(Exception):
    """Front matter that is valid YAML but not accepted as an article's metadata."""


@functools.cache
def _front_matter_loader() -> type:
    import yaml

    class FrontMatterLoader(yaml.SafeLoader):
        """`SafeLoader` without aliases or timestamps, and with a nesting limit."""

        depth = 0

        def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
            if self.check_event(yaml.AliasEvent):
                raise _Refused("uses an alias (*name): write the value out instead")
            self.depth += 1
            try:
                if self.depth > MAX_FRONT_MATTER_DEPTH:
                    raise _Refused(f"nests deeper than {MAX_FRONT_MATTER_DEPTH} levels: keep it to title, date, source and url")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_yaml_int(self, node):  # noqa: ANN001, ANN201 - PyYAML's signature
            # Beyond Python's int() digit limit (and any use as metadata): kept as the text it is.
            return node.value if len(node.value) > 100 else super().construct_yaml_int(node)

    FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", FrontMatterLoader.construct_yaml_int)
    # Dates stay strings (parse_date reads them): PyYAML's timestamps raise on '2024-13-45'.
    FrontMatterLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return FrontMatterLoader
