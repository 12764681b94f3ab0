"""The built output as Lambda gets it, and what a clean interpreter does with it.

- :func:`package`: zip every function folder and the layer the way ``sam package`` does (entries
  dated 1980-01-01, file modes kept, deflated), then unzip them with those dates, as Lambda lays
  them out (function in ``/var/task``, layer in ``/opt``).
- :func:`import_function`: in a fresh ``python -I -S`` whose ``sys.path`` holds the function's
  folder, the layer's ``python/`` and the standard library only, with the function's environment
  from the template, import the handler and record every module compiled from source.
- :func:`layer_native_libraries`: the native extensions of a built layer with the machine they are
  for (read from the ELF header), to check a layer carries one architecture's wheels only.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.lambda_runtime import DUMMY_CREDENTIALS, function_environment
from infra.local.template import FunctionDefinition, Template

LAYER_ID = "DomainLayer"
SAM_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # zipfile.ZipInfo's default, which sam package keeps
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}


@dataclass(frozen=True)
class Packaged:
    """One unzipped artifact set: each function's folder, and the layer's root (Lambda's /opt)."""

    root: Path

    def function_dir(self, logical_id: str) -> Path:
        return self.root / logical_id

    @property
    def layer_python(self) -> Path:
        return self.root / LAYER_ID / "python"


def zip_like_sam(source: Path, target: Path) -> Path:
    """What samcli.lib.package.utils.make_zip writes: ZipInfo(relative path), st_mode, deflate."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for folder, dirs, files in os.walk(source, followlinks=True):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                info = zipfile.ZipInfo(str(path.relative_to(source)))
                info.external_attr = os.stat(path).st_mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return target


def unzip_with_dates(archive_path: Path, target: Path) -> None:
    """Extract keeping each entry's zip date (1980) as the file's mtime, and its mode."""
    with zipfile.ZipFile(archive_path) as archive:
        for info in archive.infolist():
            extracted = Path(archive.extract(info, target))
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                extracted.chmod(stat.S_IMODE(mode))
            stamp = _zip_timestamp(info.date_time)
            os.utime(extracted, (stamp, stamp))


def _zip_timestamp(date_time: tuple[int, int, int, int, int, int]) -> float:
    import time

    return time.mktime((*date_time, 0, 0, -1))


def package(build_dir: Path, target: Path) -> Packaged:
    """Zip each folder of ``build_dir`` like sam package and unzip it under ``target``."""
    if target.exists():
        shutil.rmtree(target)
    zips = target / "zips"
    zips.mkdir(parents=True)
    for folder in sorted(p for p in build_dir.iterdir() if p.is_dir()):
        archive = zip_like_sam(folder, zips / f"{folder.name}.zip")
        unzip_with_dates(archive, target / folder.name)
    return Packaged(target)


IMPORT_CHILD = r"""
import gc, importlib, importlib.machinery, json, sys, sysconfig
thresholds = gc.get_threshold()
task_root, layer = sys.argv[1], sys.argv[2]
stdlib = tuple({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
sys.path[:0] = [task_root, layer]
compiled = []
_source_to_code = importlib.machinery.SourceFileLoader.source_to_code
def _recording(self, data, path, *args, **kwargs):
    compiled.append(str(path))
    return _source_to_code(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = _recording
sys.dont_write_bytecode = True
module_name, _, function_name = sys.argv[3].rpartition(".")
module = importlib.import_module(module_name)
handler = getattr(module, function_name)
outside = sorted(
    name for name, m in list(sys.modules.items())
    if getattr(m, "__file__", None)
    and not m.__file__.startswith((task_root + "/", layer + "/", *(p + "/" for p in stdlib)))
)
print("IMPORT_RESULT " + json.dumps({
    "callable": callable(handler), "compiled": compiled, "modules": len(sys.modules),
    "outside": outside, "path": sys.path,
    "gc_as_before": gc.isenabled() and gc.get_threshold() == thresholds,
    "event_handler": sorted(n for n in sys.modules if n.startswith("aws_lambda_powertools.event_handler")),
}))
"""


def stdlib_python() -> str:
    """A Python 3.13 to run children with: this one (its -I -S mode sees the standard library only)."""
    return sys.executable


def function_env(
    function: FunctionDefinition, task_root: Path, endpoint_url: str | None = None, region: str = "us-east-1"
) -> dict[str, str]:
    """The template's environment for ``function`` (local defaults, Lambda's reserved variables)."""
    env = function_environment(function, endpoint_url=endpoint_url, region=region)
    env["LAMBDA_TASK_ROOT"] = str(task_root)
    env.update({k: os.environ.get(k, v) for k, v in DUMMY_CREDENTIALS.items()})
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    return env


def import_function(packaged: Packaged, function: FunctionDefinition) -> dict[str, Any]:
    task_root = packaged.function_dir(function.logical_id).resolve()
    completed = subprocess.run(
        [
            stdlib_python(),
            "-I",
            "-S",
            "-c",
            IMPORT_CHILD,
            str(task_root),
            str(packaged.layer_python.resolve()),
            function.handler,
        ],
        env=function_env(function, task_root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("IMPORT_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("IMPORT_RESULT "))
            return result
    raise RuntimeError(
        f"{function.logical_id}: importing {function.handler} from the packaged artifact failed "
        f"(exit {completed.returncode}):\n{completed.stderr[-4000:]}"
    )


def elf_machine(path: Path) -> str:
    header = path.read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        return "not-elf"
    return ELF_MACHINES.get(int.from_bytes(header[18:20], "little"), f"e_machine={header[18:20].hex()}")


def layer_native_libraries(layer_python: Path) -> dict[str, str]:
    """Every shared object of the layer, relative path -> machine (x86_64, aarch64, ...)."""
    return {
        str(path.relative_to(layer_python)): elf_machine(path)
        for path in sorted(layer_python.rglob("*.so*"))
        if path.is_file()
    }


def functions(template_path: Path | None = None) -> dict[str, FunctionDefinition]:
    template = Template.load(template_path) if template_path else Template.load()
    return dict(template.functions())
