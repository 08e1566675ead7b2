"""Pure domain: values and policies, standard library only."""
