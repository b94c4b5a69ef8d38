"""Assets: the asset record type and the image, video and bookmark assets (``assets/*.ts``).

Like shapes, assets are one record type, ``asset``, whose ``type`` picks the props validator.
The default assets' migrations are record migrations (they see the whole record), filtered to
their asset type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from tlsync_core.store.records import RecordType
from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw._migrators import (
    Migrator,
    Step,
    adds,
    get,
    move,
    noop,
    record_sequence,
    removes,
)
from tlsync_core.tldraw.props import (
    ShapeProps,
    create_asset_validator,
    create_subtyped_record_type,
)

__all__ = [
    "DEFAULT_ASSET_PROPS",
    "asset_migrations",
    "bookmark_asset_props",
    "create_asset_record_type",
    "image_asset_props",
    "video_asset_props",
]


def create_asset_record_type(assets: Mapping[str, ShapeProps]) -> RecordType:
    """The ``asset`` record type for these asset types (a union on ``type``)."""
    return create_subtyped_record_type("asset", assets, create_asset_validator, {"meta": {}})


asset_migrations: Final = record_sequence(
    "com.tldraw.asset", "asset", [("AddMeta", adds(meta=dict), None)]
)

_media_props: Final[dict[str, Validator[Any]]] = {
    "w": T.number,
    "h": T.number,
    "name": T.string,
    "isAnimated": T.boolean,
    "mimeType": T.string.nullable(),
    "src": T.src_url.nullable(),
}
image_asset_props: Final[dict[str, Validator[Any]]] = {
    **_media_props,
    "fileSize": T.non_zero_number.optional(),
    "pixelRatio": T.positive_number.optional(),
}
video_asset_props: Final[dict[str, Validator[Any]]] = {
    **_media_props,
    "fileSize": T.number.optional(),
}
bookmark_asset_props: Final[dict[str, Validator[Any]]] = {
    "title": T.string,
    "description": T.string,
    "image": T.string,
    "favicon": T.string,
    "src": T.src_url.nullable(),
}


def _on_props(fn: Callable[[dict[str, Any]], None]) -> Migrator:
    """A migrator that runs ``fn`` on the asset's props."""

    def migrate(record: dict[str, Any]) -> None:
        fn(get(record, "props"))

    return migrate


def _url_or_empty(key: str) -> Migrator:
    """MakeUrlsValid / AddFavicon: a ``key`` that is not a valid source URL becomes ``""``."""

    def fix(props: dict[str, Any]) -> None:
        if not T.src_url.is_valid(get(props, key)):
            props[key] = ""

    return _on_props(fix)


def _rename_width_height(source: tuple[str, str], target: tuple[str, str]) -> Migrator:
    def rename(props: dict[str, Any]) -> None:
        for old, new in zip(source, target, strict=True):
            move(props, old, new)

    return _on_props(rename)


def _file_size_minus_one_to_absent(props: dict[str, Any]) -> None:
    if get(props, "fileSize") == -1:
        props.pop("fileSize")


def _absent_file_size_to_minus_one(props: dict[str, Any]) -> None:
    if "fileSize" not in props:
        props["fileSize"] = -1


# the migrations image and video assets share: AddIsAnimated … MakeFileSizeOptional
_MEDIA_STEPS: Final[list[Step]] = [
    ("AddIsAnimated", _on_props(adds(isAnimated=False)), _on_props(removes("isAnimated"))),
    (
        "RenameWidthHeight",
        _rename_width_height(("width", "height"), ("w", "h")),
        _rename_width_height(("w", "h"), ("width", "height")),
    ),
    ("MakeUrlsValid", _url_or_empty("src"), noop),
    ("AddFileSize", _on_props(adds(fileSize=-1)), _on_props(removes("fileSize"))),
    (
        "MakeFileSizeOptional",
        _on_props(_file_size_minus_one_to_absent),
        _on_props(_absent_file_size_to_minus_one),
    ),
]


def _is_asset_type(asset_type: str) -> Callable[[dict[str, Any]], bool]:
    return lambda record: record.get("type") == asset_type


image_asset_migrations: Final = record_sequence(
    "com.tldraw.asset.image",
    "asset",
    [*_MEDIA_STEPS, ("AddPixelRatio", noop, _on_props(removes("pixelRatio")))],
    filter=_is_asset_type("image"),
)
video_asset_migrations: Final = record_sequence(
    "com.tldraw.asset.video", "asset", _MEDIA_STEPS, filter=_is_asset_type("video")
)
bookmark_asset_migrations: Final = record_sequence(
    "com.tldraw.asset.bookmark",
    "asset",
    [
        ("MakeUrlsValid", _url_or_empty("src"), noop),
        ("AddFavicon", _url_or_empty("favicon"), _on_props(removes("favicon"))),
    ],
    filter=_is_asset_type("bookmark"),
)

DEFAULT_ASSET_PROPS: Final = {
    "image": ShapeProps(image_asset_props, image_asset_migrations),
    "video": ShapeProps(video_asset_props, video_asset_migrations),
    "bookmark": ShapeProps(bookmark_asset_props, bookmark_asset_migrations),
}
"""tldraw's ``defaultAssetSchemas``."""
