"""The weights-only unpickler: a pickle interpreter that builds containers and tensors and calls nothing else.

It never imports a module and never calls an object that is not on the allow-list (``_allowlist.py``, plus
what the user adds with ``add_safe_globals``); unknown globals are refused with torch's error texts.
"""
import pickle
import struct
from collections import Counter, OrderedDict

from ._allowlist import BLOCKLISTED_MODULES, builtin_globals, map_name, unsupported_global, user_allowed

__all__ = ["WeightsUnpickler", "FullUnpickler"]

UnpicklingError = pickle.UnpicklingError
_MARK = object()


class WeightsUnpickler:
    """Run a pickle program over a restricted instruction set (torch's ``_weights_only_unpickler``)."""

    def __init__(self, data, persistent_load, *, encoding="utf-8"):
        self._data = bytes(data)
        self._pos = 0
        self._persistent_load = persistent_load
        self._encoding = encoding
        self._allowed = dict(builtin_globals())
        self._allowed.update(user_allowed())
        self._by_id = {id(a.value): a for a in self._allowed.values()}
        self._user_types = tuple(a.value for a in user_allowed().values() if a.build)
        self.proto = 0

    # -- reading ------------------------------------------------------------------------------
    def _read(self, n):
        end = self._pos + n
        if n < 0 or end > len(self._data):
            raise UnpicklingError("pickle data was truncated")
        out = self._data[self._pos:end]
        self._pos = end
        return out

    def _readline(self):
        end = self._data.find(b"\n", self._pos)
        if end < 0:
            raise UnpicklingError("pickle data was truncated")
        line = self._data[self._pos:end]
        self._pos = end + 1
        return line

    def _u(self, fmt, n):
        return struct.unpack(fmt, self._read(n))[0]

    # -- stack --------------------------------------------------------------------------------
    def _pop_mark(self):
        stack = self._stack
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1:]
                del stack[i:]
                return items
        raise UnpicklingError("could not find MARK")

    def _pop(self):
        if not self._stack or self._stack[-1] is _MARK:
            raise UnpicklingError("unpickling stack underflow")
        return self._stack.pop()

    def _top(self):
        if not self._stack or self._stack[-1] is _MARK:
            raise UnpicklingError("unpickling stack underflow")
        return self._stack[-1]

    # -- globals and calls --------------------------------------------------------------------
    def _global(self, module, name):
        module, name = map_name(module, name)
        full_path = f"{module}.{name}"
        if module.split(".")[0] in BLOCKLISTED_MODULES:
            raise UnpicklingError(f"Trying to load unsupported GLOBAL {full_path} whose module {module} is blocked.")
        entry = self._allowed.get(full_path)
        if entry is None:
            raise unsupported_global(full_path)
        return entry.value

    def _entry(self, obj):
        entry = self._by_id.get(id(obj))
        return entry if entry is not None and entry.value is obj else None

    def _call(self, func, args):
        entry = self._entry(func)
        if entry is None or entry.call is None:
            msg = f"Trying to call reduce for unrecognized function {func}"
            if hasattr(func, "__self__"):
                msg += f" which belongs to {func.__self__}"
            raise UnpicklingError(msg)
        if not isinstance(args, tuple):
            raise UnpicklingError(f"REDUCE arguments must be a tuple, got {type(args).__name__}")
        return entry.call(*args)

    def _new(self, cls, args, kwargs=None):
        entry = self._entry(cls)
        if entry is None or entry.new is None:
            raise UnpicklingError("Can only create new object for nn.Parameter or classes allowlisted via "
                                  f"`add_safe_globals` but got {cls}")
        if not isinstance(args, tuple) or (kwargs is not None and not isinstance(kwargs, dict)):
            raise UnpicklingError("NEWOBJ arguments must be a tuple (and a dict)")
        return entry.new(*args, **(kwargs or {}))

    def _build(self, inst, state):
        if type(inst) is OrderedDict:
            if not isinstance(state, dict):
                raise UnpicklingError(f"OrderedDict state must be a dict, got {type(state).__name__}")
            inst.__dict__.update(state)
        elif self._user_types and type(inst) in self._user_types:
            setstate = getattr(inst, "__setstate__", None)
            if setstate is not None:
                setstate(state)
                return
            slotstate = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slotstate = state
            if state:
                inst.__dict__.update(state)
            if slotstate:
                for k, v in slotstate.items():
                    setattr(inst, k, v)
        else:
            raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                                  f"`add_safe_globals`, but got {type(inst)}")

    def _persid(self, pid):
        if type(pid) is not tuple and type(pid) is not int:
            raise UnpicklingError(f"persistent_load id must be tuple or int, but got {type(pid)}")
        return self._persistent_load(pid)

    # -- the loop -----------------------------------------------------------------------------
    def load(self):
        """The unpickled object; a malformed pickle raises UnpicklingError, a bad tensor RuntimeError."""
        try:
            return self._run()
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, struct.error,
                RecursionError) as e:
            raise UnpicklingError(f"malformed pickle data: {type(e).__name__}: {e}") from None

    def _run(self):
        self._stack = stack = []
        memo = {}
        push = stack.append
        read = self._read
        u = self._u
        while True:
            if self._pos >= len(self._data):
                raise EOFError("Ran out of input")
            op = self._data[self._pos]
            self._pos += 1
            if op == 0x80:  # PROTO
                self.proto = read(1)[0]
                if self.proto > pickle.HIGHEST_PROTOCOL:
                    raise ValueError(f"unsupported pickle protocol: {self.proto}")
            elif op == 0x95:  # FRAME: frames only group opcodes
                read(8)
            elif op == 0x2E:  # STOP
                return self._pop()
            # containers
            elif op == 0x28:  # MARK
                push(_MARK)
            elif op == 0x29:  # EMPTY_TUPLE
                push(())
            elif op == 0x5D:  # EMPTY_LIST
                push([])
            elif op == 0x7D:  # EMPTY_DICT
                push({})
            elif op == 0x8F:  # EMPTY_SET
                push(set())
            elif op == 0x74:  # TUPLE
                push(tuple(self._pop_mark()))
            elif op in (0x85, 0x86, 0x87):  # TUPLE1/2/3
                n = op - 0x84
                items = [self._pop() for _ in range(n)][::-1]
                push(tuple(items))
            elif op == 0x6C:  # LIST
                push(self._pop_mark())
            elif op == 0x64:  # DICT
                items = self._pop_mark()
                if len(items) % 2:
                    raise UnpicklingError("odd number of items for DICT")
                push({items[i]: items[i + 1] for i in range(0, len(items), 2)})
            elif op == 0x91:  # FROZENSET
                push(frozenset(self._pop_mark()))
            elif op == 0x61:  # APPEND
                item = self._pop()
                self._list_target("append").append(item)
            elif op == 0x65:  # APPENDS
                items = self._pop_mark()
                self._list_target("extend").extend(items)
            elif op == 0x73:  # SETITEM
                v = self._pop()
                k = self._pop()
                self._dict_target("SETITEM")[k] = v
            elif op == 0x75:  # SETITEMS
                items = self._pop_mark()
                target = self._dict_target("SETITEMS")
                if len(items) % 2:
                    raise UnpicklingError("odd number of items for SETITEMS")
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif op == 0x90:  # ADDITEMS
                items = self._pop_mark()
                target = self._top()
                if type(target) is not set:
                    raise UnpicklingError(f"Can only add items to sets, but got {type(target)}")
                target.update(items)
            # stack and memo
            elif op == 0x30:  # POP
                if stack and stack[-1] is _MARK:
                    stack.pop()
                else:
                    self._pop()
            elif op == 0x31:  # POP_MARK
                self._pop_mark()
            elif op == 0x32:  # DUP
                push(self._top())
            elif op == 0x68:  # BINGET
                push(self._memo_get(memo, read(1)[0]))
            elif op == 0x6A:  # LONG_BINGET
                push(self._memo_get(memo, u("<I", 4)))
            elif op == 0x67:  # GET
                push(self._memo_get(memo, self._int_line()))
            elif op == 0x71:  # BINPUT
                memo[read(1)[0]] = self._top()
            elif op == 0x72:  # LONG_BINPUT
                memo[u("<I", 4)] = self._top()
            elif op == 0x70:  # PUT
                memo[self._int_line()] = self._top()
            elif op == 0x94:  # MEMOIZE
                memo[len(memo)] = self._top()
            # atoms
            elif op == 0x4E:  # NONE
                push(None)
            elif op == 0x88:  # NEWTRUE
                push(True)
            elif op == 0x89:  # NEWFALSE
                push(False)
            elif op == 0x4B:  # BININT1
                push(read(1)[0])
            elif op == 0x4D:  # BININT2
                push(u("<H", 2))
            elif op == 0x4A:  # BININT
                push(u("<i", 4))
            elif op == 0x8A:  # LONG1
                push(int.from_bytes(read(read(1)[0]), "little", signed=True))
            elif op == 0x8B:  # LONG4
                n = u("<i", 4)
                if n < 0:
                    raise UnpicklingError("LONG pickle has negative byte count")
                push(int.from_bytes(read(n), "little", signed=True))
            elif op == 0x49:  # INT
                line = self._readline()
                # protocol 0 spells False and True as "I00" and "I01"
                push(line == b"01" if line in (b"00", b"01") else self._parse_int(line))
            elif op == 0x4C:  # LONG
                line = self._readline()
                push(self._parse_int(line[:-1] if line.endswith(b"L") else line))
            elif op == 0x47:  # BINFLOAT
                push(u(">d", 8))
            elif op == 0x46:  # FLOAT
                try:
                    push(float(self._readline()))
                except ValueError:
                    raise UnpicklingError("could not convert string to float") from None
            elif op == 0x58:  # BINUNICODE
                push(self._text(read(u("<I", 4))))
            elif op == 0x8C:  # SHORT_BINUNICODE
                push(self._text(read(read(1)[0])))
            elif op == 0x8D:  # BINUNICODE8
                push(self._text(read(u("<Q", 8))))
            elif op == 0x56:  # UNICODE
                push(str(self._readline(), "raw-unicode-escape"))
            elif op == 0x42:  # BINBYTES
                push(bytes(read(u("<I", 4))))
            elif op == 0x43:  # SHORT_BINBYTES
                push(bytes(read(read(1)[0])))
            elif op == 0x8E:  # BINBYTES8
                push(bytes(read(u("<Q", 8))))
            elif op == 0x96:  # BYTEARRAY8
                push(bytearray(read(u("<Q", 8))))
            elif op == 0x55:  # SHORT_BINSTRING
                push(self._py2_str(read(read(1)[0])))
            elif op == 0x54:  # BINSTRING
                n = u("<i", 4)
                push(self._py2_str(read(n)))
            elif op == 0x53:  # STRING
                push(self._py2_str(self._quoted(self._readline())))
            # the risky opcodes: each goes through the allow-list
            elif op == 0x63:  # GLOBAL
                module = self._readline().decode("utf-8")
                name = self._readline().decode("utf-8")
                push(self._global(module, name))
            elif op == 0x93:  # STACK_GLOBAL
                name = self._pop()
                module = self._pop()
                if type(name) is not str or type(module) is not str:
                    raise UnpicklingError("STACK_GLOBAL requires str")
                push(self._global(module, name))
            elif op == 0x52:  # REDUCE
                args = self._pop()
                func = self._top()
                stack[-1] = self._call(func, args)
            elif op == 0x81:  # NEWOBJ
                args = self._pop()
                cls = self._pop()
                push(self._new(cls, args))
            elif op == 0x92:  # NEWOBJ_EX
                kwargs = self._pop()
                args = self._pop()
                cls = self._pop()
                push(self._new(cls, args, kwargs))
            elif op == 0x69:  # INST
                module = self._readline().decode("utf-8")
                name = self._readline().decode("utf-8")
                cls = self._global(module, name)
                push(self._call(cls, tuple(self._pop_mark())))
            elif op == 0x6F:  # OBJ
                items = self._pop_mark()
                if not items:
                    raise UnpicklingError("OBJ without a class")
                push(self._call(items[0], tuple(items[1:])))
            elif op == 0x62:  # BUILD
                state = self._pop()
                self._build(self._top(), state)
            elif op == 0x51:  # BINPERSID
                pid = self._pop()
                push(self._persid(pid))
            elif op == 0x50:  # PERSID
                raise UnpicklingError("persistent_load id must be tuple or int, but got <class 'str'>")
            else:
                raise UnpicklingError(f"Unsupported operand {op}")

    # -- helpers ------------------------------------------------------------------------------
    def _list_target(self, what):
        target = self._top()
        if type(target) is not list:
            raise UnpicklingError(f"Can only {what} to lists, but got {type(target)}"
                                  if what == "append" else f"Can only extend lists, but got {type(target)}")
        return target

    def _dict_target(self, opcode):
        target = self._top()
        if type(target) not in (dict, OrderedDict, Counter):
            raise UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, "
                                  f"but got {type(target)}")
        return target

    @staticmethod
    def _memo_get(memo, i):
        try:
            return memo[i]
        except KeyError:
            raise UnpicklingError(f"Memo value not found at index {i}") from None

    def _int_line(self):
        return self._parse_int(self._readline())

    @staticmethod
    def _parse_int(line):
        if len(line) > 4300 or not line.strip().lstrip(b"+-").isdigit():
            raise UnpicklingError(f"invalid integer literal {bytes(line[:40])!r}")
        return int(line)

    @staticmethod
    def _text(data):
        return str(data, "utf-8", "surrogatepass")

    @staticmethod
    def _quoted(line):
        if len(line) >= 2 and line[0] == line[-1] and line[:1] in (b'"', b"'"):
            import codecs
            return codecs.escape_decode(line[1:-1])[0]
        raise UnpicklingError("the STRING opcode argument must be quoted")

    def _py2_str(self, data):
        data = bytes(data)
        return data if self._encoding == "bytes" else data.decode(self._encoding, "strict")


class FullUnpickler(pickle.Unpickler):
    """weights_only=False: Python's own unpickler (it imports and calls whatever the file names).

    torch's names resolve to dagrad's objects (``torch.nn.modules.linear.Linear`` to
    ``dagrad.nn.modules.linear.Linear`` when that exists); any other global is imported as pickle does.
    """

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._loader = persistent_load

    def persistent_load(self, pid):
        return self._loader(pid)

    def find_class(self, module, name):
        is_torch = module == "torch" or module.startswith("torch.")
        entry = builtin_globals().get(f"{module}.{name}") if is_torch else None
        if entry is not None:
            return entry.value
        if is_torch:
            import importlib
            try:
                mod = importlib.import_module("dagrad" + module[len("torch"):])
                return getattr(mod, name)
            except (ImportError, AttributeError):
                raise pickle.UnpicklingError(f"dagrad has no equivalent of {module}.{name}") from None
        return super().find_class(module, name)

