"""Run the authors' TensorFlow-1 MNIST script as published, one observable sub-step at a time.

``AuthorsRun`` loads ``MaskAAE_MNIST.py`` (arnabkmondal/MaskAAE, MIT, an unmodified copy lives in
``shared/authors/``) from its path at run time, applies the few text and namespace patches needed to
run it offline in ``tf.compat.v1`` graph mode on a current TensorFlow (every one is listed in
``AuthorsRun.patches``), builds their ``MaskAAE`` graph and runs their own ``MaskAAE.train()`` loop
(their schedules, their ``np.random`` batch and prior draws). Their ``tf.Session`` is wrapped in a
proxy that recognises their four trainer ops and, for each one, also fetches the loss that op
minimises, feeds the caller's gradient-penalty interpolation weight on critic ops, and reports a
``SubStep`` to the caller after the update. No code of theirs is copied into this project.

Environment (a separate venv; the suite's own ``.venv`` has no TensorFlow)::

    # from the repository root (or: make lockstep, which does all of this)
    python3.11 -m venv .venv-tf
    .venv-tf/bin/pip install torch==2.14.1 torchvision==0.29.1
    .venv-tf/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 matplotlib numpy pyyaml scipy tqdm
    .venv-tf/bin/pip install -e . --no-deps
    .venv-tf/bin/python bench/authors_tf.py     # self-test, about a minute on 1 CPU thread

(measured here: 119 s for torch, which pulls the CUDA 13 runtime wheels from PyPI, 90 s for
TensorFlow + tf-keras + the rest, 7 s for the editable install; ~7.7 GB on disk). TensorFlow >= 2.16
ships Keras 3, under which ``tf.compat.v1.layers.dense`` and ``tf.compat.v1.keras`` need the legacy
Keras 2 package ``tf-keras`` (same minor version as TensorFlow) and ``TF_USE_LEGACY_KERAS=1`` set
before TensorFlow is imported; this module sets it (setdefault). A TF 2.15 with bundled Keras 2 would
also do, but 2.21 is the current release and runs the script with only the patches listed.

Import order: ``torch`` is imported before ``tensorflow`` here on purpose (in one environment importing
TensorFlow before torchvision crashed); callers should import this module, or torch, before anything
that imports TensorFlow. ``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS`` default to 1 and the
session is created with intra/inter-op parallelism 1 (TensorFlow's CPU thread pools are process-wide
and sized by the first session, so the session is created before their module-level
``run_sess = tf.Session()``). ``TF_ENABLE_ONEDNN_OPTS`` is left at TensorFlow's default.

Notes for a PyTorch replay (checked in this TF/tf-keras version, see the self-test output):
  * ``tf.train.RMSPropOptimizer``: decay 0.9, momentum 0, epsilon 1e-10 *inside* the square root
    (``ms = 0.9 ms + 0.1 g^2; var -= lr g / sqrt(ms + 1e-10)``); the ``rms`` slot starts at 1.
  * The trained loss is ``loss * lr_decay`` (the decay placeholders scale the loss, not the lr).
  * ``Alpha`` has a ``NonNeg`` constraint applied after each mask update as ``w * (w >= 0)``.
  * The images are fed as ``float32(images[idx] / 255.0)`` (a float64 division, then cast).
  * The generator op's feed reuses the prior of the last critic op (their code draws none for it).
  * Reconstruction loss: tf_keras ``BinaryCrossentropy(from_logits=False)`` on the *reshaped* sigmoid
    output (a Reshape op, so no logit shortcut): ``p = clip(p, 1e-7, 1 - 1e-7)``,
    ``-(x log(p + 1e-7) + (1 - x) log(1 - p + 1e-7))``, mean over all elements.
  * ``bias_initializer=None`` gives glorot-uniform biases (U(+-sqrt(3 / units))), not zeros; kernels
    are truncated glorot-normal. Neither has a seed (TF's initial weights differ per run); the mask
    init ``U[0, 5)`` has op seed 64 and is the same every run.
  * mask_on=0: their ``reg_schedule_interval = 0``, so ``step == 5 * reg_schedule_interval`` fires at
    step 0 and ae_decay is 0.2 from step 1 on.
  * Identical rows in ``images`` are reported by their first index.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.compat.v1.layers needs tf_keras under TF >= 2.16
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import torch  # noqa: I001  -- must be imported before tensorflow (see the docstring)
import tensorflow as _tf_root

import hashlib
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

tf = _tf_root.compat.v1

_REPO = Path(__file__).resolve().parents[1]
# shared/ inside the checkout, else beside it (as for CI's clone)
DEFAULT_SCRIPT = next(
    (p for p in (_REPO / "shared", _REPO.parent / "shared") if (p / "authors" / "MaskAAE_MNIST.py").exists()),
    _REPO.parent / "shared",
)
DEFAULT_SCRIPT = DEFAULT_SCRIPT / "authors" / "MaskAAE_MNIST.py"

# (old text, new text, count expected in the published script, description)
_TEXT_PATCHES = [
    (
        "import tensorflow as tf\n",
        "import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()\n",
        1,
        "line 2 `import tensorflow as tf` -> `import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()` "
        "(TF1 graph mode on TF 2.x; same line count)",
    ),
    (
        "(x, _), (_, _) = tf.keras.datasets.mnist.load_data()\n",
        "(x, _), (_, _) = _authors_tf_load_mnist()\n",
        1,
        "load_train_dataset('mnist'): `tf.keras.datasets.mnist.load_data()` -> a function returning a copy "
        "of the caller's uint8 `images` (no download); their `np.random.shuffle(x)` still runs on that copy "
        "(keeps their np.random stream; harmless: SubStep.image_idx indexes the caller's unshuffled array)",
    ),
]
_DRIVER_MARKER = "\nparser = argparse.ArgumentParser()\n"


@dataclass
class SubStep:
    index: int  # 0-based count of training ops run so far (0 = first AE step)
    step: int  # the authors' 0-based loop variable `step`
    kind: str  # "ae", "critic", "gen" or "mask"
    loss: float  # the op's loss at the pre-update weights, without the *_lr_decay factor
    image_idx: np.ndarray  # int64 [bs]: rows of `images` fed
    prior: np.ndarray  # float32 [bs, z_dim]: prior sample fed
    gp_weight: np.ndarray | None  # float32 [bs, 1]: GP interpolation weight fed (critic ops)
    poly_reg_wt: float | None  # lambda3 fed to the mask op
    ae_decay: float
    mask_decay: float


_KINDS = {
    "ae": ("auto_encoder_trainer", "auto_encoder_loss"),
    "critic": ("discriminator_trainer", "discriminator_loss"),
    "gen": ("generator_trainer", "generator_loss"),
    "mask": ("mask_trainer", "mask_loss"),
}
_APPLY_TYPES = ("ApplyRMSProp", "ResourceApplyRMSProp")


class _SessionProxy:
    """Stands in for their ``tf.Session``: trainer ops go through ``AuthorsRun._train_op``."""

    def __init__(self, owner: AuthorsRun, sess):
        self._owner = owner
        self._sess = sess

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        kind = self._owner._trainer_kind(fetches)
        if kind is None:
            return self._sess.run(fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata)
        return self._owner._train_op(kind, feed_dict)

    def __getattr__(self, name):
        return getattr(self._sess, name)


class AuthorsRun:
    """The authors' MaskAAE (mask_on=1) or WAE-style AAE (mask_on=0) on caller-given MNIST-shaped data."""

    def __init__(
        self,
        script: str | Path = DEFAULT_SCRIPT,
        *,
        mask_on: bool,
        z_dim: int,
        bs: int,
        lr: float,
        images: np.ndarray,
        steps: int,
        workdir: Path,
        plot_interval: int = 1000,
        write_images: bool = False,
    ):
        script = Path(script)
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"images must be uint8 [N, 28, 28], got {images.dtype} {images.shape}")
        if plot_interval < 10:
            raise ValueError("plot_interval must be >= 10 (their eval block: step % (plot_interval // 10))")
        self.mask_on, self.z_dim, self.bs = bool(mask_on), int(z_dim), int(bs)
        self.lr, self.steps = lr, int(steps)
        self.images = images
        self.workdir = Path(workdir)
        raw = script.read_bytes()
        self.script_sha256 = hashlib.sha256(raw).hexdigest()
        self.tf_version = _tf_root.__version__
        self.keras_version = _keras_version()
        self.patches: list[str] = []
        src = raw.decode("utf-8")

        for old, new, count, desc in _TEXT_PATCHES:
            if src.count(old) != count:
                raise RuntimeError(f"patch target occurs {src.count(old)}x (expected {count}): {old!r}")
            src = src.replace(old, new)
            self.patches.append(desc)
        cut = src.find(_DRIVER_MARKER)
        if cut < 0 or src.count(_DRIVER_MARKER) != 1:
            raise RuntimeError("driver marker `parser = argparse.ArgumentParser()` not found exactly once")
        n_line = src[:cut].count("\n") + 2
        src = src[: cut + 1]
        self.patches.append(
            f"module-level driver from line {n_line} on dropped (argparse of sys.argv, output folders, "
            "model construction/training, image generation, FID); AuthorsRun constructs MaskAAE and calls "
            "its train() itself"
        )
        # Their own reproducibility hash of lookups: rows of `images` by content.
        self._row_index: dict[bytes, int] = {}
        for i in range(images.shape[0]):
            self._row_index.setdefault(images[i].tobytes(), i)
        self._x01 = images / 255.0  # exactly their TrainingDataGenerator's x_train values (float64)

        samples_dir = self.workdir / "samples"
        models_dir = self.workdir / "models"
        samples_dir.mkdir(parents=True, exist_ok=True)
        models_dir.mkdir(parents=True, exist_ok=True)

        caller_rng = np.random.get_state()
        tf.disable_v2_behavior()  # what their patched import line does; needed before any graph exists
        self.graph = tf.Graph()
        with self.graph.as_default():
            config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
            self._sess = tf.Session(graph=self.graph, config=config)
            self.patches.append(
                "the tf.Session passed to MaskAAE(sess=...) is a 1-thread session (intra/inter-op "
                "parallelism 1) wrapped in a proxy: their four trainer-op runs also fetch the op's loss, "
                "critic runs feed gp_weight(k) into their GP tensor `random_uniform:0` instead of its "
                "tf.random_uniform(seed=64) draw; all other runs pass through unchanged"
            )
            stub = types.ModuleType("fid_score")

            def evaluate_fid_score(*args, **kwargs):
                raise NotImplementedError("fid_score is stubbed out by bench/authors_tf.py")

            stub.evaluate_fid_score = evaluate_fid_score
            self.patches.append(
                "`from fid_score import evaluate_fid_score`: a stub module `fid_score` in "
                "sys.modules during exec (their FID code is never reached)"
            )
            mod = types.ModuleType("maskaae_authors_mnist")
            mod.__file__ = str(script)
            ns = mod.__dict__
            ns["_authors_tf_load_mnist"] = lambda: ((images.copy(), None), (None, None))
            saved_fid = sys.modules.get("fid_score")
            sys.modules["fid_score"] = stub
            try:
                exec(compile(src, str(script), "exec"), ns)  # runs their np.random.seed(64)
            finally:
                if saved_fid is None:
                    sys.modules.pop("fid_score", None)
                else:
                    sys.modules["fid_score"] = saved_fid
            self.module = mod
            ns["plot_graph"] = _noop
            self.patches.append(
                "plot_graph -> no-op (matplotlib loss curves; uses plt.grid(b=...), removed "
                "in matplotlib >= 3.7; draws no random numbers)"
            )
            if not write_images:
                ns["image_grid"] = _noop
                self.patches.append(
                    "image_grid -> no-op (their eval block's PNG grids; draws no random numbers)"
                )
            save_interval = self.steps + 1
            self.patches.append(
                f"MaskAAE(training_steps={self.steps}, plot_interval={plot_interval} (their default 1000: "
                f"eval block with its own np.random draws every {plot_interval // 10} steps), save_interval="
                f"{save_interval} (> steps: no checkpoint is written), dataset='mnist', models_dir/"
                "samples_dir under workdir; other arguments at their argparse defaults "
                "(gradient_penalty_weight=10, variance_penalty_weight=100, disc_training_ratio=5, bn_axis=-1)"
            )
            self.patches.append(
                "numpy's global RNG is isolated: their stream (np.random.seed(64) at import, then their "
                "draws) is swapped in only while their code runs, and the caller's state while "
                "init/gp_weight/on_substep run, so the caller's numpy use does not shift their draws"
            )
            self._proxy = _SessionProxy(self, self._sess)
            self.model = ns["MaskAAE"](
                dataset="mnist",
                bs=self.bs,
                z_dim=self.z_dim,
                lr=lr,
                models_dir=str(models_dir) + "/",
                samples_dir=str(samples_dir) + "/",
                training_steps=self.steps,
                save_interval=save_interval,
                plot_interval=plot_interval,
                bn_axis=-1,
                gradient_penalty_weight=10.0,
                variance_penalty_weight=100.0,
                disc_training_ratio=5,
                mask_on=int(self.mask_on),
                sess=self._proxy,
            )
        self._authors_rng = np.random.get_state()
        np.random.set_state(caller_rng)

        m = self.model
        self._trainers = {}
        self._losses = {}
        for kind, (trainer_attr, loss_attr) in _KINDS.items():
            if hasattr(m, trainer_attr):
                self._trainers[getattr(m, trainer_attr)] = kind
                self._losses[kind] = getattr(m, loss_attr)
        self._gp_tensor = self._find_gp_weight_tensor()
        self._trainable = {v.op.name: v for v in self.graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)}
        self._rms_vars = self._find_rms_slots()
        self._train_code = ns["MaskAAE"].train.__code__
        self._ran = False

    # ------------------------------------------------------------------ graph introspection
    def _find_gp_weight_tensor(self):
        """The [bs, 1] tensor `alpha` of their gradient penalty: a RandomUniform op followed by its
        [bs, 1]-shaped scaling ops (x * (1. - 0.) + 0.), up to the multiply with `differences`."""
        cands = [
            op
            for op in self.graph.get_operations()
            if op.type == "RandomUniform" and op.outputs[0].shape.as_list() == [self.bs, 1]
        ]
        if len(cands) != 1:
            raise RuntimeError(f"expected one [bs, 1] RandomUniform op (their GP weight), found {len(cands)}")
        t = cands[0].outputs[0]
        while True:
            cons = t.consumers()
            if len(cons) == 1 and cons[0].outputs and cons[0].outputs[0].shape.as_list() == [self.bs, 1]:
                t = cons[0].outputs[0]
                continue
            break
        want = [self.bs, self.z_dim]
        if not any(c.type == "Mul" and c.outputs[0].shape.as_list() == want for c in t.consumers()):
            raise RuntimeError(f"GP weight tensor {t.name} does not feed a [bs, z_dim] multiply")
        return t

    def _find_rms_slots(self):
        """{f"{kind}/{var}": rms slot variable} from the ApplyRMSProp ops each trainer op runs."""
        gvars = {v.op.name: v for v in self.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
        out = {}
        for trainer, kind in self._trainers.items():
            seen, stack, applies = set(), [trainer], []
            while stack:
                op = stack.pop()
                if op in seen:
                    continue
                seen.add(op)
                if op.type in _APPLY_TYPES:
                    applies.append(op)
                else:  # the group's NoOps; for Alpha also its NonNeg constraint (Assign <- Mul <- ...)
                    stack.extend(op.control_inputs)
                    stack.extend(t.op for t in op.inputs)
            for op in applies:
                var_name, rms_name = op.inputs[0].op.name, op.inputs[1].op.name
                if var_name not in self._trainable:
                    raise RuntimeError(f"{op.name} updates {var_name}, not a trainable variable")
                out[f"{kind}/{var_name}"] = gvars[rms_name]
            expected = {
                "ae": self.model.auto_encoder_variables,
                "gen": self.model.generator_variables,
                "critic": self.model.discriminator_variables,
                "mask": getattr(self.model, "mask_variables", []),
            }[kind]
            if len(applies) != len(expected):
                raise RuntimeError(f"{kind}: {len(applies)} RMSProp updates for {len(expected)} variables")
        return out

    def _trainer_kind(self, fetches):
        if isinstance(fetches, tf.Operation):
            return self._trainers.get(fetches)
        return None

    # ------------------------------------------------------------------ state
    def variables(self) -> dict[str, np.ndarray]:
        names = list(self._trainable)
        vals = self._sess.run([self._trainable[n] for n in names])
        return dict(zip(names, vals, strict=True))

    def rms(self) -> dict[str, np.ndarray]:
        names = list(self._rms_vars)
        vals = self._sess.run([self._rms_vars[n] for n in names])
        return dict(zip(names, vals, strict=True))

    # ------------------------------------------------------------------ running
    def _call_caller(self, fn, *args):
        self._authors_rng = np.random.get_state()
        np.random.set_state(self._caller_rng)
        try:
            return fn(*args)
        finally:
            self._caller_rng = np.random.get_state()
            np.random.set_state(self._authors_rng)

    def _current_step(self) -> int:
        f = sys._getframe(2)
        while f is not None and f.f_code is not self._train_code:
            f = f.f_back
        if f is None:
            raise RuntimeError("trainer op run from outside MaskAAE.train()")
        return int(f.f_locals["step"])

    def _image_idx(self, batch) -> np.ndarray:
        batch = np.asarray(batch)
        flat = batch.reshape(batch.shape[0], 28, 28)
        idx = np.empty(batch.shape[0], dtype=np.int64)
        for r in range(flat.shape[0]):
            key = np.rint(flat[r] * 255.0).astype(np.uint8).tobytes()
            i = self._row_index.get(key)
            if i is None or not np.array_equal(self._x01[i], flat[r]):
                raise RuntimeError(f"fed image row {r} matches no row of images/255.0 exactly")
            idx[r] = i
        return idx

    def _train_op(self, kind, feed_dict):
        m = self.model
        if self._n_ops == 0:
            vals = self._call_caller(self._init, self.variables())
            if vals is not None:
                for name, value in vals.items():
                    var = self._trainable[name]
                    value = np.asarray(value, dtype=np.float32)
                    if tuple(value.shape) != tuple(var.shape.as_list()):
                        raise ValueError(f"init[{name!r}]: shape {value.shape} != {var.shape}")
                    var.load(value, self._sess)
        feed = dict(feed_dict)
        gp = None
        if kind == "critic":
            gp = np.asarray(self._call_caller(self._gp_weight, self._n_critic), dtype=np.float32)
            if gp.shape != (self.bs, 1):
                raise ValueError(f"gp_weight({self._n_critic}) has shape {gp.shape}, expected {(self.bs, 1)}")
            feed[self._gp_tensor] = gp
            self._n_critic += 1
        trainer = {v: k for k, v in self._trainers.items()}[kind]
        _, loss = self._sess.run([trainer, self._losses[kind]], feed_dict=feed)
        loss = np.asarray(loss).reshape(-1)
        assert loss.size == 1
        poly = None
        if kind == "mask":
            poly = float(np.asarray(feed_dict[m.poly_reg_coeff]).reshape(-1)[0])
        sub = SubStep(
            index=self._n_ops,
            step=self._current_step(),
            kind=kind,
            loss=float(loss[0]),
            image_idx=self._image_idx(feed_dict[m.inp_img]),
            prior=np.asarray(feed_dict[m.prior_sample], dtype=np.float32),
            gp_weight=gp,
            poly_reg_wt=poly,
            ae_decay=float(np.asarray(feed_dict[m.ae_lr_decay]).reshape(-1)[0]),
            mask_decay=float(np.asarray(feed_dict[m.mask_lr_decay]).reshape(-1)[0]),
        )
        self._n_ops += 1
        self._call_caller(self._on_substep, sub)
        return None  # what sess.run(op) returns

    def run(
        self,
        *,
        init: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray] | None],
        gp_weight: Callable[[int], np.ndarray],
        on_substep: Callable[[SubStep], None],
    ) -> None:
        if self._ran:
            raise RuntimeError("AuthorsRun.run() can be called once (their train() re-initialises all)")
        self._ran = True
        self._init, self._gp_weight, self._on_substep = init, gp_weight, on_substep
        self._n_ops = 0
        self._n_critic = 0
        self._caller_rng = np.random.get_state()
        np.random.set_state(self._authors_rng)
        try:
            with self.graph.as_default():
                self.model.train()
        finally:
            self._authors_rng = np.random.get_state()
            np.random.set_state(self._caller_rng)

    def close(self):
        self._sess.close()


def _noop(*args, **kwargs):
    return None


def _keras_version() -> str:
    try:
        import tf_keras

        return f"tf_keras {tf_keras.__version__}"
    except ImportError:
        return f"keras {getattr(_tf_root.keras, '__version__', '?')}"


# ---------------------------------------------------------------------- self-test
def _tensor_stats(vals: dict[str, np.ndarray]) -> list[str]:
    lines = []
    for name, v in vals.items():
        sd = float(v.std())
        lines.append(
            f"  {name:42s} {str(v.shape):14s} mean {v.mean():+.5f} std {sd:.5f} "
            f"max|w|/std {np.abs(v).max() / sd if sd else float('nan'):.3f}"
        )
    return lines


def _source_excerpts() -> list[str]:
    """The installed lines that decide their reconstruction loss and their dense layers' bias init."""
    import inspect

    from tf_keras.src import backend as kb
    from tf_keras.src import losses as kl
    from tf_keras.src.engine import base_layer_v1

    wanted = [  # (function, first line containing, number of lines)
        (kl.binary_crossentropy, "y_pred = tf.convert_to_tensor(y_pred)", 16),
        (kb.binary_crossentropy, "target = tf.convert_to_tensor(target)", 18),
        (kb._get_logits, "from_expected_op_type = (", 12),
        (base_layer_v1.Layer.add_weight, "if initializer is None:", 4),
    ]
    out = []
    for fn, first, n in wanted:
        fn = inspect.unwrap(fn)
        src, start = inspect.getsourcelines(fn)
        i = next(k for k, line in enumerate(src) if first in line)
        out.append(f"  {inspect.getsourcefile(fn)} ({fn.__qualname__}):")
        out += [
            f"    {start + k}: {src[k].rstrip()}" for k in range(i, min(i + n, len(src))) if src[k].strip()
        ]
    return out


def _self_test():
    import tempfile
    import time

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(256, 28, 28), dtype=np.uint8)
    print(
        f"TensorFlow {_tf_root.__version__}, {_keras_version()}, torch {torch.__version__}, "
        f"numpy {np.__version__}"
    )
    for mask_on in (1, 0):
        t0 = time.time()
        with tempfile.TemporaryDirectory() as tmp:
            run = AuthorsRun(
                DEFAULT_SCRIPT,
                mask_on=bool(mask_on),
                z_dim=16,
                bs=64,
                lr=1e-4,
                images=images,
                steps=3,
                workdir=Path(tmp),
            )
            print(
                f"\n=== mask_on={mask_on}  script sha256 {run.script_sha256[:16]}...  "
                f"GP weight tensor fed: {run._gp_tensor.name}  (built in {time.time() - t0:.1f}s)"
            )
            gp_rng = np.random.default_rng(1)
            init_stats = {}

            def init(vals, run=run, init_stats=init_stats):
                init_stats["vars"] = vals
                init_stats["rms"] = run.rms()
                return None

            def on_substep(s: SubStep, run=run):
                poly = "-" if s.poly_reg_wt is None else f"{s.poly_reg_wt:.4g}"
                gpw = "" if s.gp_weight is None else f" gp_w[0]={s.gp_weight[0, 0]:.4f}"
                print(
                    f"  #{s.index:2d} step {s.step} {s.kind:6s} loss {s.loss:+.6f} poly_reg_wt {poly:6s} "
                    f"ae_decay {s.ae_decay:g} mask_decay {s.mask_decay:g} "
                    f"idx[:3] {s.image_idx[:3].tolist()} prior[0,0] {s.prior[0, 0]:+.4f}{gpw}"
                )

            t1 = time.time()

            def gp_weight(k, gp_rng=gp_rng):
                return gp_rng.random((64, 1), dtype=np.float32)

            run.run(init=init, gp_weight=gp_weight, on_substep=on_substep)
            print(
                f"  ran {run.steps} steps in {time.time() - t1:.1f}s; process threads "
                f"{len(os.listdir('/proc/self/task'))}"
            )
            if mask_on:
                print("patches:")
                for p in run.patches:
                    print(f"  - {p}")
                print("initial values (TF's own, at init()):")
                for line in _tensor_stats(init_stats["vars"]):
                    print(line)
                r = init_stats["rms"]
                lo = min(float(v.min()) for v in r.values())
                hi = max(float(v.max()) for v in r.values())
                kinds = sorted({k.split("/")[0] for k in r})
                print(f"rms slots at init: {len(r)} ({', '.join(kinds)}), min {lo} max {hi}")
                alpha0 = np.array2string(init_stats["vars"]["Alpha"], precision=3)
                print("Alpha after their mask assign:", alpha0)
                ops = {
                    op.type for op in run.graph.get_operations() if op.name.startswith("binary_crossentropy/")
                }
                print("op types in their reconstruction loss scope binary_crossentropy/:", sorted(ops))
            run.close()
    print("\nBinaryCrossentropy(from_logits=False) and the dense bias default (installed tf_keras):")
    for line in _source_excerpts():
        print(line)


if __name__ == "__main__":
    _self_test()
