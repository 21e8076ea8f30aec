"""dagrad.nn: modules, parameters, functional, init."""
from . import functional
from . import init
from .parameter import Buffer, Parameter
from .modules import *  # noqa: F401,F403
from .modules import Module
from . import modules, parameter, utils
