"""Load and validate config/config.yaml without Snakemake.

The workflow validates the same file with ``snakemake.utils.validate`` against
the same JSON schema, so the command-line wrappers and the rules agree on it.
"""

import copy
import difflib
import os
from pathlib import Path

import jsonschema
import yaml

from .errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = ROOT / "config" / "config.yaml"


def merge(base: dict, override: dict) -> dict:
    """Return ``base`` updated by ``override``, merging nested mappings key by key."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_yaml(path: str | os.PathLike) -> dict:
    """Return a YAML mapping from ``path``, raising ConfigError with the file and problem."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a YAML mapping of settings")
    return data


def validate(config: dict, source: str = "config") -> dict:
    """Fill schema defaults into ``config`` and raise ConfigError on the first invalid value."""
    schema = yaml.safe_load(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.path) or "(top level)"
        raise ConfigError(f"{source}: invalid value at '{where}': {error.message}{_suggest(error)}")
    for key, spec in schema["properties"].items():
        if "default" in spec:
            config.setdefault(key, spec["default"])
    return config


def _suggest(error: jsonschema.ValidationError) -> str:
    """Return '; did you mean X?' for a misspelt key, else ''."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ""
    known = sorted(error.schema.get("properties", {}))
    hints = []
    for key in error.instance:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            if close:
                hints.append(f"'{key}' -> '{close[0]}'")
    return f"; did you mean {', '.join(hints)}?" if hints else ""


def load_config(paths: list[str | os.PathLike] | None = None) -> dict:
    """Load config files in order (later ones override earlier ones) and validate the result.

    Relative paths inside the config (results_dir, FASTA files) are relative to
    the kaspflow folder, where the workflow runs.
    """
    paths = list(paths or [DEFAULT_CONFIG])
    config: dict = {}
    for path in paths:
        config = merge(config, load_yaml(path))
    return validate(config, ", ".join(str(p) for p in paths))


def resolve_path(path: str | os.PathLike) -> Path:
    """Return ``path`` made absolute against the kaspflow folder."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else ROOT / path
