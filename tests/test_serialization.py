"""dagrad.save / dagrad.load against torch's file format, the weights-only unpickler, and safetensors."""
import io
import os
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import dagrad
from dagrad.serialization import safetensors as dst
from dagrad.serialization._zipformat import ZipWriter

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "complex64",
          "complex128"]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def sample(name, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name.startswith("float"):
        return rng.standard_normal(shape).astype(name)
    info = np.iinfo(name)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=name)


def to_np(t):
    return t.detach().numpy()


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    dagrad.save(obj, buf)
    buf.seek(0)
    return dagrad.load(buf, **load_kwargs)


def dagrad_bytes(obj):
    buf = io.BytesIO()
    dagrad.save(obj, buf)
    return buf.getvalue()


def torch_bytes(torch, obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def craft(pkl, storages=(), byteorder=b"little", version=b"3\n", prefix="archive"):
    """A checkpoint zip with the given data.pkl and data/<i> records (written with Python's zipfile)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        if byteorder is not None:
            z.writestr(f"{prefix}/byteorder", byteorder)
        for i, data in enumerate(storages):
            z.writestr(f"{prefix}/data/{i}", bytes(data))
        if version is not None:
            z.writestr(f"{prefix}/version", version)
    return buf.getvalue()


def tensor_pkl(numel, offset, size, stride, *, storage=b"FloatStorage", location=b"cpu", pid_kind=b"storage"):
    """data.pkl of one tensor, opcode by opcode as torch.save writes it."""
    def text(s):
        return b"X" + struct.pack("<I", len(s)) + s

    def ints(xs):
        return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in xs) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + text(pid_kind) + b"ctorch\n" + storage + b"\n"
            + text(b"0") + text(location) + b"J" + struct.pack("<i", numel) + b"tQ" + b"J" + struct.pack("<i", offset)
            + ints(size) + ints(stride) + b"\x89" + b"ccollections\nOrderedDict\n)RtR.")


# ---- dagrad -> dagrad ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_roundtrip_every_dtype(name):
    arr = sample(name)
    out = roundtrip({"t": dagrad.from_numpy(arr), "s": dagrad.from_numpy(np.array(arr[0, 0]))})
    assert out["t"].dtype is getattr(dagrad, name if name != "bool" else "bool")
    np.testing.assert_array_equal(to_np(out["t"]), arr)
    assert out["s"].shape == () and to_np(out["s"]) == arr[0, 0]


def test_roundtrip_state_dict_with_metadata_and_parameters():
    sd = OrderedDict(weight=dagrad.nn.Parameter(dagrad.ones(2, 3)), bias=dagrad.zeros(2),
                     frozen=dagrad.nn.Parameter(dagrad.ones(1), requires_grad=False))
    sd._metadata = OrderedDict({"": {"version": 1}, "sub": {"version": 2}})
    out = roundtrip(sd)
    assert type(out) is OrderedDict and list(out) == ["weight", "bias", "frozen"]
    assert out._metadata == sd._metadata
    assert isinstance(out["weight"], dagrad.nn.Parameter) and out["weight"].requires_grad
    assert isinstance(out["frozen"], dagrad.nn.Parameter) and not out["frozen"].requires_grad
    assert type(out["bias"]) is dagrad.Tensor and not out["bias"].requires_grad
    np.testing.assert_array_equal(to_np(out["weight"]), np.ones((2, 3), np.float32))


def test_roundtrip_python_values_and_nested_containers():
    obj = {"int": 3, "big": 2 ** 80, "neg": -7, "float": 2.5, "str": "héllo", "none": None, "bools": [True, False],
           "tuple": (1, (2, [3.5, "x"])), "bytes": b"\x00\xff", "set": {1, 2}, "complex": 1 - 2j,
           "nested": {"list": [dagrad.ones(2), {"deep": dagrad.tensor([1, 2, 3])}]},
           "dtype": dagrad.float64, "size": dagrad.Size([2, 3]), "device": dagrad.device("cpu"), "empty": {}}
    out = roundtrip(obj)
    plain = {k: v for k, v in obj.items() if k != "nested"}
    assert {k: out[k] for k in plain} == plain
    assert out["dtype"] is dagrad.float64 and isinstance(out["size"], dagrad.Size)
    np.testing.assert_array_equal(to_np(out["nested"]["list"][1]["deep"]), [1, 2, 3])


def test_roundtrip_optimizer_state_dict():
    state = {"state": {0: {"step": dagrad.tensor(3.0), "exp_avg": dagrad.ones(2, 2), "exp_avg_sq": dagrad.zeros(2, 2)},
                       1: {"step": dagrad.tensor(3.0), "momentum_buffer": None}},
             "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0, "amsgrad": False,
                               "foreach": None, "params": [0, 1]}]}
    out = roundtrip(state)
    assert out["param_groups"] == state["param_groups"]
    assert out["state"][1]["momentum_buffer"] is None and to_np(out["state"][0]["step"]) == 3.0
    np.testing.assert_array_equal(to_np(out["state"][0]["exp_avg"]), np.ones((2, 2)))


def test_views_load_back_sharing_storage():
    base = dagrad.arange(12.0).reshape(3, 4)
    out = roundtrip({"base": base, "row": base[1], "t": base.t(), "cols": base[:, 1::2]})
    np.testing.assert_array_equal(to_np(out["t"]), to_np(base).T)
    np.testing.assert_array_equal(to_np(out["cols"]), to_np(base)[:, 1::2])
    out["base"].numpy()[1, 1] = 100.0
    assert out["row"].numpy()[1] == 100.0 and out["t"].numpy()[1, 1] == 100.0 and out["cols"].numpy()[1, 0] == 100.0
    # one storage record for all four tensors
    names = zipfile.ZipFile(io.BytesIO(dagrad_bytes({"a": base, "b": base[1]}))).namelist()
    assert [n for n in names if "/data/" in n] == ["archive/data/0"]


def test_same_tensor_twice_is_one_object_and_non_contiguous_copies():
    x = dagrad.arange(6.0).reshape(2, 3)
    out = roundtrip([x, x, x.flip(0), x.t()])
    assert out[0] is out[1]
    np.testing.assert_array_equal(to_np(out[2]), to_np(x)[::-1])
    np.testing.assert_array_equal(to_np(out[3]), to_np(x).T)
    assert not out[3].is_contiguous()


def test_empty_and_zero_dim_tensors():
    out = roundtrip({"e": dagrad.zeros(0, 3), "z": dagrad.tensor(5)})
    assert out["e"].shape == (0, 3) and out["z"].shape == () and out["z"].item() == 5


def test_loaded_tensors_are_writable_and_usable():
    out = roundtrip({"w": dagrad.nn.Parameter(dagrad.ones(3))})
    (out["w"] * 2).sum().backward()
    np.testing.assert_array_equal(to_np(out["w"].grad), [2.0, 2.0, 2.0])
    out["w"].detach().numpy()[:] = 0.0
    np.testing.assert_array_equal(to_np(out["w"]), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("protocol", [1, 2, 3, 4, 5])
def test_pickle_protocols(protocol):
    buf = io.BytesIO()
    dagrad.save({"a": [dagrad.ones(2), 1.5, "s"], "dt": dagrad.int8}, buf, pickle_protocol=protocol)
    buf.seek(0)
    out = dagrad.load(buf)
    assert out["a"][1:] == [1.5, "s"] and out["dt"] is dagrad.int8
    assert dagrad.load(io.BytesIO(dagrad_bytes_protocol({"x": [1, "s"]}, 0))) == {"x": [1, "s"]}
    with pytest.raises(pickle.PicklingError, match="protocol 0 cannot store tensors"):
        dagrad_bytes_protocol(dagrad.ones(1), 0)


def dagrad_bytes_protocol(obj, protocol):
    buf = io.BytesIO()
    dagrad.save(obj, buf, pickle_protocol=protocol)
    return buf.getvalue()


def test_path_and_pathlike(tmp_path):
    p = tmp_path / "ckpt.pt"
    dagrad.save({"x": dagrad.ones(2)}, p)
    dagrad.save({"x": dagrad.zeros(2)}, str(p))
    np.testing.assert_array_equal(to_np(dagrad.load(p)["x"]), [0.0, 0.0])
    assert zipfile.ZipFile(p).namelist()[0] == "ckpt/data.pkl"


def test_mmap_load_is_copy_on_write(tmp_path):
    p = tmp_path / "m.pt"
    dagrad.save({"x": dagrad.arange(4.0), "v": dagrad.arange(10.0)[2:5]}, p)
    before = p.read_bytes()
    out = dagrad.load(p, mmap=True)
    np.testing.assert_array_equal(to_np(out["v"]), [2.0, 3.0, 4.0])
    out["x"].numpy()[0] = 42.0
    assert p.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        dagrad.load(io.BytesIO(before), mmap=True)


def test_map_location():
    data = dagrad_bytes({"x": dagrad.ones(2)})
    for loc in ("cpu", dagrad.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        np.testing.assert_array_equal(to_np(dagrad.load(io.BytesIO(data), map_location=loc)["x"]), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="CUDA"):
        dagrad.load(io.BytesIO(data), map_location="cuda")


def test_cuda_saved_location_loads_on_cpu():
    data = craft(tensor_pkl(2, 0, (2,), (1,), location=b"cuda:0"), [np.arange(2, dtype=np.float32).tobytes()])
    np.testing.assert_array_equal(to_np(dagrad.load(io.BytesIO(data))), [0.0, 1.0])


def test_big_endian_byteorder_record():
    data = craft(tensor_pkl(3, 0, (3,), (1,)), [np.array([1.5, -2, 3], ">f4").tobytes()], byteorder=b"big")
    np.testing.assert_array_equal(to_np(dagrad.load(io.BytesIO(data))), [1.5, -2.0, 3.0])


# ---- dagrad -> torch ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_torch_loads_dagrad_file_every_dtype(torch, name):
    arr = sample(name, (3, 4))
    x = dagrad.from_numpy(arr)
    out = torch.load(io.BytesIO(dagrad_bytes({"x": x, "t": x.t(), "row": x[1]})), weights_only=True)
    assert out["x"].dtype == getattr(torch, name)
    np.testing.assert_array_equal(out["x"].numpy(), arr)
    np.testing.assert_array_equal(out["t"].numpy(), arr.T)
    assert out["t"].stride() == (1, 4) and out["row"].storage_offset() == 4
    assert out["row"].untyped_storage().data_ptr() == out["x"].untyped_storage().data_ptr()


def test_torch_loads_dagrad_parameters_and_containers(torch):
    obj = {"p": dagrad.nn.Parameter(dagrad.ones(2)), "q": dagrad.nn.Parameter(dagrad.zeros(1), requires_grad=False),
           "n": [1, 2.5, "s", None, (True,)], "dt": dagrad.float16, "size": dagrad.Size([1, 2])}
    out = torch.load(io.BytesIO(dagrad_bytes(obj)), weights_only=True)
    assert isinstance(out["p"], torch.nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["q"], torch.nn.Parameter) and not out["q"].requires_grad
    assert out["n"] == [1, 2.5, "s", None, (True,)] and out["dt"] is torch.float16
    assert out["size"] == torch.Size([1, 2]) and type(out["size"]) is torch.Size


def _masked(data):
    """The file with its random serialization id (and that record's CRC) blanked out."""
    z = zipfile.ZipFile(io.BytesIO(data))
    info = next(i for i in z.infolist() if i.filename.endswith(".data/serialization_id"))
    return data.replace(z.read(info), b"#" * 40).replace(info.CRC.to_bytes(4, "little"), b"CRC!")


def _same_objects(lib):
    base = lib.arange(6.0).reshape(2, 3)
    sd = OrderedDict(weight=base, row=base[1], col=base[:, 1], flag=lib.tensor([True, False]),
                     step=lib.tensor(3), cplx=lib.tensor([1 + 2j]), empty=lib.zeros(0, 4),
                     param=lib.nn.Parameter(lib.ones(2)), misc=[1, 2.5, "s", None, (True, 2 ** 70)],
                     dtype=lib.float32, size=lib.Size([2, 3]))
    sd._metadata = OrderedDict({"": {"version": 1}})
    return sd


def test_files_are_byte_identical_to_torch_save(torch, tmp_path):
    assert _masked(dagrad_bytes(_same_objects(dagrad))) == _masked(torch_bytes(torch, _same_objects(torch)))
    (tmp_path / "t").mkdir()
    (tmp_path / "d").mkdir()
    torch.save(_same_objects(torch), tmp_path / "t" / "model.pt")
    dagrad.save(_same_objects(dagrad), tmp_path / "d" / "model.pt")
    assert _masked((tmp_path / "t" / "model.pt").read_bytes()) == _masked((tmp_path / "d" / "model.pt").read_bytes())


def test_record_layout_matches_torch(torch):
    ours = zipfile.ZipFile(io.BytesIO(dagrad_bytes(_same_objects(dagrad))))
    theirs = zipfile.ZipFile(io.BytesIO(torch_bytes(torch, _same_objects(torch))))
    assert ours.namelist() == theirs.namelist()
    for a, b in zip(ours.infolist(), theirs.infolist()):
        assert (a.header_offset, a.file_size, a.flag_bits) == (b.header_offset, b.file_size, b.flag_bits)
    assert ours.read("archive/version") == b"3\n" and ours.read("archive/.storage_alignment") == b"64"
    data = dagrad_bytes(_same_objects(dagrad))
    for info in ours.infolist():  # every record's data starts on a 64-byte boundary
        name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


def test_torch_computes_the_same_record_offsets(torch, tmp_path, monkeypatch):
    # torch's debug mode re-derives each storage's offset from miniz's layout rules and asserts it
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    dagrad.save(_same_objects(dagrad), tmp_path / "m.pt")
    out = torch.load(tmp_path / "m.pt", mmap=True, weights_only=True)
    np.testing.assert_array_equal(out["col"].numpy(), [1.0, 4.0])


def test_zip64_records(torch, monkeypatch):
    from dagrad.serialization import _zipformat
    monkeypatch.setattr(_zipformat, "_ZIP64_LIMIT", 300)  # as if records and offsets passed 4 GiB
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    data = dagrad_bytes({"a": dagrad.arange(100.0), "b": dagrad.ones(5)})
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("archive/data/0").file_size == 400
    np.testing.assert_array_equal(to_np(dagrad.load(io.BytesIO(data))["a"]), np.arange(100.0))
    np.testing.assert_array_equal(torch.load(io.BytesIO(data), weights_only=True)["a"].numpy(), np.arange(100.0))


def test_parameter_attributes_survive_both_ways(torch):
    p = dagrad.nn.Parameter(dagrad.ones(1))
    p.tag = "kept"
    assert torch.load(io.BytesIO(dagrad_bytes({"p": p})), weights_only=True)["p"].tag == "kept"
    assert roundtrip({"p": p})["p"].tag == "kept"
    t, q = torch.ones(2), torch.nn.Parameter(torch.zeros(1))
    t.note, q.tag = "on a tensor", 3
    out = dagrad.load(io.BytesIO(torch_bytes(torch, {"t": t, "q": q})))
    assert out["t"].note == "on a tensor" and out["q"].tag == 3 and isinstance(out["q"], dagrad.nn.Parameter)


def test_whole_module_needs_weights_only_false():
    model = dagrad.nn.Sequential(dagrad.nn.Linear(2, 3), dagrad.nn.ReLU())
    data = dagrad_bytes(model)
    with pytest.raises(pickle.UnpicklingError, match="dagrad.nn.modules.container.Sequential"):
        dagrad.load(io.BytesIO(data))
    back = dagrad.load(io.BytesIO(data), weights_only=False)
    assert isinstance(back[0].weight, dagrad.nn.Parameter) and back[0].weight.requires_grad
    np.testing.assert_array_equal(to_np(back[0].weight), to_np(model[0].weight))


# ---- torch -> dagrad ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_dagrad_loads_torch_file_every_dtype(torch, name):
    arr = sample(name, (3, 4), seed=1)
    x = torch.from_numpy(arr)
    out = dagrad.load(io.BytesIO(torch_bytes(torch, {"x": x, "t": x.t(), "nc": x[:, ::2], "row": x[2]})))
    assert out["x"].dtype is getattr(dagrad, name)
    np.testing.assert_array_equal(to_np(out["x"]), arr)
    np.testing.assert_array_equal(to_np(out["t"]), arr.T)
    np.testing.assert_array_equal(to_np(out["nc"]), arr[:, ::2])
    np.testing.assert_array_equal(to_np(out["row"]), arr[2])
    assert np.shares_memory(out["row"].numpy(), out["x"].numpy())


def test_dagrad_loads_torch_model_and_optimizer(torch):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    net(torch.ones(5, 3)).pow(2).sum().backward()
    opt.step()
    out = dagrad.load(io.BytesIO(torch_bytes(torch, {"model": net.state_dict(), "opt": opt.state_dict(),
                                                     "epoch": 7})))
    sd = net.state_dict()
    assert list(out["model"]) == list(sd) and out["model"]._metadata == sd._metadata
    for k, v in sd.items():
        np.testing.assert_array_equal(to_np(out["model"][k]), v.numpy())
    ref = opt.state_dict()
    assert out["opt"]["param_groups"] == ref["param_groups"] and out["epoch"] == 7
    for i, st_ in ref["state"].items():
        for k, v in st_.items():
            np.testing.assert_array_equal(to_np(out["opt"]["state"][i][k]), v.numpy())


def test_dagrad_loads_torch_parameters_nested_and_metadata(torch):
    obj = {"p": torch.nn.Parameter(torch.ones(2)), "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
           "nested": [(torch.zeros(2, 2), {"k": torch.arange(3)}), None, "x"], "conj": torch.tensor([1 + 2j]).conj(),
           "dtype": torch.int16, "size": torch.Size([4]), "dev": torch.device("cpu"), "set": {1, 2}, "b": b"xy"}
    out = dagrad.load(io.BytesIO(torch_bytes(torch, obj)))
    assert isinstance(out["p"], dagrad.nn.Parameter) and out["p"].requires_grad
    assert not out["frozen"].requires_grad
    np.testing.assert_array_equal(to_np(out["nested"][0][1]["k"]), [0, 1, 2])
    np.testing.assert_array_equal(to_np(out["conj"]), [1 - 2j])
    assert out["dtype"] is dagrad.int16 and out["size"] == dagrad.Size([4]) and out["dev"] == dagrad.device("cpu")
    assert out["set"] == {1, 2} and out["b"] == b"xy" and out["nested"][1:] == [None, "x"]


def test_dagrad_loads_torch_bfloat16_as_float32(torch):
    x = torch.tensor([1.5, -2.25, 3e38], dtype=torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16"):
        out = dagrad.load(io.BytesIO(torch_bytes(torch, {"x": x, "v": x[1:]})))
    np.testing.assert_array_equal(to_np(out["x"]), x.float().numpy())
    assert out["x"].dtype is dagrad.float32 and np.shares_memory(out["x"].numpy(), out["v"].numpy())


def test_dagrad_loads_torch_file_from_path(torch, tmp_path):
    torch.save({"w": torch.ones(3)}, tmp_path / "m.pth")
    np.testing.assert_array_equal(to_np(dagrad.load(tmp_path / "m.pth")["w"]), np.ones(3, np.float32))
    np.testing.assert_array_equal(to_np(dagrad.load(tmp_path / "m.pth", mmap=True)["w"]), np.ones(3, np.float32))


def test_legacy_format_is_refused_clearly(torch):
    data = torch_bytes(torch, {"x": torch.ones(2)}, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        dagrad.load(io.BytesIO(data))
    with pytest.raises(NotImplementedError, match="legacy"):
        dagrad.save({}, io.BytesIO(), _use_new_zipfile_serialization=False)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_random_views_agree_with_torch(shape, data):
    torch = pytest.importorskip("torch")
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    index = tuple(slice(data.draw(st.integers(0, n - 1)), None, data.draw(st.integers(1, 2))) for n in shape)
    base = dagrad.from_numpy(arr)
    view = base[index]
    if len(shape) > 1:
        view = view.transpose(0, len(shape) - 1)
    ref = torch.from_numpy(arr)[index]
    if len(shape) > 1:
        ref = ref.transpose(0, len(shape) - 1)
    ours = dagrad.load(io.BytesIO(dagrad_bytes([base, view])))
    theirs = torch.load(io.BytesIO(dagrad_bytes([base, view])), weights_only=True)
    np.testing.assert_array_equal(to_np(ours[1]), ref.numpy())
    np.testing.assert_array_equal(theirs[1].numpy(), ref.numpy())
    assert theirs[1].stride() == ref.stride() and theirs[1].storage_offset() == ref.storage_offset()
    back = dagrad.load(io.BytesIO(torch_bytes(torch, [torch.from_numpy(arr), ref])))
    np.testing.assert_array_equal(to_np(back[1]), ref.numpy())


# ---- the weights-only unpickler refuses code ----------------------------------------------------
class _Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    import subprocess
    cmd = f"touch {marker}"
    write = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": (pickle.dumps({"w": 1, "x": _Payload(os.system, cmd)}, protocol=2), "posix.system"),
        "eval": (pickle.dumps([_Payload(eval, write)], protocol=2), "GLOBAL eval "),
        "exec proto 4": (pickle.dumps(_Payload(exec, write), protocol=4), "GLOBAL exec "),
        "subprocess": (pickle.dumps(_Payload(subprocess.call, ["touch", str(marker)]), protocol=2),
                       "GLOBAL subprocess.call "),
        "INST opcode": (b"(S'" + cmd.encode() + b"'\nios\nsystem\n.", "os.system"),
        "getattr": (b"\x80\x02cbuiltins\ngetattr\n(cos\npath\nX\x06\x00\x00\x00existstR.", "GLOBAL getattr "),
        "nested import": (b"\x80\x02cimportlib\nimport_module\nX\x02\x00\x00\x00ost\x85R.",
                          "GLOBAL importlib.import_module "),
    }


@pytest.mark.parametrize("case", list(_payloads("m")))
def test_malicious_pickles_are_refused_without_running(tmp_path, case):
    marker = tmp_path / "PWNED"
    pkl, named = _payloads(marker)[case]
    with pytest.raises(pickle.UnpicklingError) as info:
        dagrad.load(io.BytesIO(craft(pkl)))
    assert named in str(info.value) and "Weights only load failed" in str(info.value)
    assert not marker.exists()


def test_malicious_torch_file_is_refused(torch, tmp_path):
    marker = tmp_path / "PWNED"
    data = torch_bytes(torch, {"w": torch.ones(2), "evil": _Payload(os.system, f"touch {marker}")})
    with pytest.raises(pickle.UnpicklingError, match="posix.system whose module posix is blocked"):
        dagrad.load(io.BytesIO(data))
    assert not marker.exists()


def test_allowed_globals_cannot_be_misused():
    cases = {
        b"\x80\x02ctorch\nTensor\nK\x05\x85R.": "unrecognized function",  # a class that is data, not a callable
        b"\x80\x02ctorch\nfloat32\n)R.": "unrecognized function",
        b"\x80\x02]q\x00ccollections\nOrderedDict\n)Rb.": "Can only build",  # BUILD a list
        b"\x80\x02}q\x00]q\x01b.": "Can only build",
        b"\x80\x02(X\x03\x00\x00\x00fooK\x01tQ.": "Only persistent_load of storage",
        b"\x80\x02X\x01\x00\x00\x00aQ.": "persistent_load id must be tuple or int",
        b"\x80\x02K\x01K\x02a.": "Can only append to lists",
        b"\x80\x02\x8c\x02os\x8c\x06system\x93.": "blocked",
    }
    for pkl, msg in cases.items():
        with pytest.raises(pickle.UnpicklingError, match=msg):
            dagrad.load(io.BytesIO(craft(pkl)))


class Config:
    def __init__(self, lr):
        self.lr = lr


def test_user_classes_need_allowlisting_or_weights_only_false():
    data = dagrad_bytes({"cfg": Config(0.1), "w": dagrad.ones(1)})
    with pytest.raises(pickle.UnpicklingError, match=r"Config was not an allowed global by default"):
        dagrad.load(io.BytesIO(data))
    assert dagrad.load(io.BytesIO(data), weights_only=False)["cfg"].lr == 0.1
    with dagrad.serialization.safe_globals([Config]):
        assert dagrad.load(io.BytesIO(data))["cfg"].lr == 0.1
    assert dagrad.serialization.get_safe_globals() == []
    assert dagrad.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == [f"{__name__}.Config"]


# ---- damaged files --------------------------------------------------------------------------------
def test_truncated_files_fail_cleanly():
    data = dagrad_bytes({"w": dagrad.arange(100.0), "b": [1, 2]})
    with pytest.raises(EOFError):
        dagrad.load(io.BytesIO(b""))
    for cut in list(range(4, len(data), 97)) + [len(data) - 1, len(data) - 22]:
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed"):
            dagrad.load(io.BytesIO(data[:cut]))


def test_corrupted_storage_fails_crc():
    data = bytearray(dagrad_bytes({"w": dagrad.arange(16.0)}))
    data[data.find(np.arange(16.0, dtype=np.float32).tobytes()) + 5] ^= 0xFF
    with pytest.raises(RuntimeError, match="CRC-32 check failed"):
        dagrad.load(io.BytesIO(bytes(data)))


def test_garbage_is_not_a_checkpoint():
    with pytest.raises(pickle.UnpicklingError, match="invalid load key, 'h'"):
        dagrad.load(io.BytesIO(b"hello world"))


@pytest.mark.parametrize("drop, message", [("data.pkl", "failed locating file data.pkl"),
                                           ("data/0", "failed locating file data/0"),
                                           ("version", 'hasRecord\\("version"\\)')])
def test_missing_records(drop, message):
    pkl = tensor_pkl(6, 0, (2, 3), (3, 1))
    storage = np.arange(6, dtype=np.float32).tobytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, value in (("data.pkl", pkl), ("data/0", storage), ("version", b"3\n")):
            if name != drop:
                z.writestr(f"archive/{name}", value)
    with pytest.raises(RuntimeError, match=message):
        dagrad.load(io.BytesIO(buf.getvalue()))


def test_wrong_storage_sizes():
    six = np.arange(6, dtype=np.float32).tobytes()
    with pytest.raises(RuntimeError, match=r"record size \(8 bytes\) does not match expected size \(24 bytes"):
        dagrad.load(io.BytesIO(craft(tensor_pkl(6, 0, (2, 3), (3, 1)), [six[:8]])))
    with pytest.raises(RuntimeError, match=r"record size \(24 bytes\) does not match expected size \(8 bytes"):
        dagrad.load(io.BytesIO(craft(tensor_pkl(2, 0, (2, 3), (3, 1)), [six])))
    with pytest.raises(RuntimeError, match="requiring a storage size of 28 are out of bounds for storage of size 24"):
        dagrad.load(io.BytesIO(craft(tensor_pkl(6, 1, (2, 3), (3, 1)), [six])))
    with pytest.raises(RuntimeError, match="Negative strides"):
        dagrad.load(io.BytesIO(craft(tensor_pkl(6, 5, (6,), (-1,)), [six])))


def test_unsupported_dtype_storage_is_a_clear_error():
    with pytest.raises(RuntimeError, match="dagrad has no dtype torch.qint8"):
        dagrad.load(io.BytesIO(craft(tensor_pkl(2, 0, (2,), (1,), storage=b"QInt8Storage"), [b"\0\0"])))


# ---- atomic writes ---------------------------------------------------------------------------------
class _Explodes:
    def __reduce__(self):
        raise RuntimeError("boom")


def test_crash_in_pickler_keeps_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    dagrad.save({"v": dagrad.ones(3)}, path)
    old = path.read_bytes()
    with pytest.raises(RuntimeError, match="boom"):
        dagrad.save({"a": dagrad.zeros(1000), "b": _Explodes()}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]


def test_crash_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    dagrad.save({"v": dagrad.ones(3)}, path)
    old = path.read_bytes()
    real = ZipWriter.write_record

    def failing(self, name, data):
        if name == "data/1":
            raise OSError("disk full")
        return real(self, name, data)

    monkeypatch.setattr(ZipWriter, "write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        dagrad.save({"a": dagrad.zeros(1000), "b": dagrad.ones(1000)}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    dagrad.save({"v": dagrad.zeros(3)}, path)
    np.testing.assert_array_equal(to_np(dagrad.load(path)["v"]), np.zeros(3))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_overwrite_keeps_permissions(tmp_path):
    path = tmp_path / "ckpt.pt"
    dagrad.save({}, path)
    os.chmod(path, 0o640)
    dagrad.save({"x": 1}, path)
    assert (os.stat(path).st_mode & 0o777) == 0o640 and dagrad.load(path) == {"x": 1}


def test_missing_parent_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        dagrad.save({}, tmp_path / "nope" / "x.pt")


# ---- safetensors -----------------------------------------------------------------------------------
ST_DTYPES = [d for d in DTYPES if d != "complex128"]


def _st_inputs():
    arrays = {f"t_{name}": sample(name, (2, 3), seed=i) for i, name in enumerate(ST_DTYPES)}
    arrays.update({"zeta": np.array(2.5, np.float32), "alpha": np.zeros((0, 4), np.float64), "é/x.y": np.ones(3)})
    return arrays


@pytest.mark.parametrize("metadata", [None, {}, {"format": "pt"}])
def test_safetensors_bytes_match_the_library(metadata):
    st_numpy = pytest.importorskip("safetensors.numpy")
    arrays = _st_inputs()
    ours = dst.save({k: dagrad.from_numpy(v) for k, v in arrays.items()}, metadata=metadata)
    assert ours == st_numpy.save(arrays, metadata=metadata)
    for k, v in st_numpy.load(ours).items():
        np.testing.assert_array_equal(v, arrays[k])


def test_safetensors_files_roundtrip_and_interoperate(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    arrays = _st_inputs()
    st_numpy.save_file(arrays, tmp_path / "lib.safetensors", metadata={"a": "1", "b": "2"})
    for k, v in dst.load_file(tmp_path / "lib.safetensors").items():
        np.testing.assert_array_equal(to_np(v), arrays[k])
    assert dst.metadata_of(tmp_path / "lib.safetensors") == {"a": "1", "b": "2"}
    dagrad.serialization.save_file({k: dagrad.from_numpy(v) for k, v in arrays.items()}, tmp_path / "ours.st",
                                   metadata={"a": "1", "b": "2"})
    assert sorted(os.listdir(tmp_path)) == ["lib.safetensors", "ours.st"]
    for k, v in st_numpy.load_file(tmp_path / "ours.st").items():
        np.testing.assert_array_equal(v, arrays[k])
    loaded = dagrad.serialization.load_file(tmp_path / "ours.st")
    assert loaded["t_int64"].dtype is dagrad.int64
    loaded["t_float32"].numpy()[0, 0] = 7.0  # each tensor owns writable memory


def test_safetensors_from_torch_api_with_bfloat16(torch, tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    tensors = {"w": torch.randn(3, 2), "h": torch.tensor([1.5, -2.0], dtype=torch.bfloat16)}
    st_torch.save_file(tensors, tmp_path / "t.safetensors")
    with pytest.warns(UserWarning, match="bfloat16"):
        out = dst.load_file(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(to_np(out["w"]), tensors["w"].numpy())
    np.testing.assert_array_equal(to_np(out["h"]), [1.5, -2.0])
    with pytest.warns(UserWarning, match="bfloat16"):
        assert dst.load(st_torch.save(tensors))["h"].dtype is dagrad.float32


def _st(header, data=b""):
    text = (header if isinstance(header, bytes) else __import__("json").dumps(header).encode())
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("blob, message", [
    (b"abc", "header too small"),
    (struct.pack("<Q", 10 ** 9) + b"{}", "header too large"),
    (struct.pack("<Q", 100) + b"{}", "invalid header length"),
    (_st(b"{abc"), "invalid JSON"),
    (_st(b"[]"), "invalid header start"),
    (_st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8), "invalid offset for tensor `a`"),
    (_st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4), "invalid offset"),
    (_st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4), "invalid shape, data type"),
    (_st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8), "incomplete metadata"),
    (_st({"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4), "unknown dtype"),
    (_st({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4), "bad shape"),
    (_st({"__metadata__": {"a": 1}}), "__metadata__"),
])
def test_safetensors_header_validation(blob, message, tmp_path):
    with pytest.raises(dst.SafetensorError, match=message):
        dst.load(blob)
    (tmp_path / "bad").write_bytes(blob)
    with pytest.raises(dst.SafetensorError, match=message):
        dst.load_file(tmp_path / "bad")


def test_safetensors_refuses_what_the_library_refuses():
    x = dagrad.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        dst.save({"t": x.t()})
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        dst.save({"a": x, "b": x[1]})
    with pytest.raises(ValueError, match="complex128"):
        dst.save({"c": dagrad.zeros(1, dtype=dagrad.complex128)})
    with pytest.raises(TypeError, match="metadata"):
        dst.save({"a": x}, metadata={"k": 1})
    assert dst.load(dst.save({"a": x[0], "b": x[1]}))["b"].tolist() == [3.0, 4.0, 5.0]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
