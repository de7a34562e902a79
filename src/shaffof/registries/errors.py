from shaffof.errors import NotFound


class RegistryNotFound(NotFound):
    code = "registry-not-found"
    title = "No such registry or registry service"


class SubjectNotInRegistry(NotFound):
    code = "subject-not-in-registry"
    title = "The registry holds no record of this person"
