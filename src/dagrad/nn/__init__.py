"""dagrad.nn: modules, parameters, functional, init."""
from . import functional
