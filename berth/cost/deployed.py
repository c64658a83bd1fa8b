"""The API function as `berth deploy` configures it (.chalice/config.json), so that `berth
cost` prices the memory and architecture that are deployed, not a second copy of them.

Chalice reads a setting from the function's own block (`lambda_functions.api_handler`),
then the stage's, then the top level; so does this."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from berth.project_files import CHALICE_DIR

API_FUNCTION = "api_handler"  # Chalice's name for the function behind the routes
CHALICE_DEFAULTS = {"lambda_memory_size": 128, "lambda_architecture": "x86_64"}


@dataclass(frozen=True, slots=True)
class DeployedFunction:
    memory_mb: int
    architecture: str


def _setting(config: dict[str, Any], stage: str, name: str, function: str) -> Any:
    stage_block: dict[str, Any] = config.get("stages", {}).get(stage, {})
    function_block: dict[str, Any] = stage_block.get("lambda_functions", {}).get(function, {})
    for block in (function_block, stage_block, config):
        if name in block:
            return block[name]
    return CHALICE_DEFAULTS[name]


def deployed_function(
    stage: str = "prod", path: Path | None = None, function: str = API_FUNCTION
) -> DeployedFunction:
    """`function`: the API's, or a handler's name (`run_scans`, `deliver_webhooks`, ...)."""
    config: dict[str, Any] = json.loads((path or CHALICE_DIR / "config.json").read_text())
    return DeployedFunction(
        memory_mb=int(_setting(config, stage, "lambda_memory_size", function)),
        architecture=str(_setting(config, stage, "lambda_architecture", function)),
    )
