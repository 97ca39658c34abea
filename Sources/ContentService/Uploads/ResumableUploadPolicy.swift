import Shared

/// A resumable upload is its owner's alone: for anyone else, administrators included, it does not
/// exist (a 404 like an expired one), so its id tells nobody anything.
enum ResumableUploadPolicy {
    static func mayUse(_ upload: ResumableUploadStore.Upload, by identity: Identity) -> Bool {
        Ownership.owns(identity, upload.ownerID)
    }

    static let notFound = APIError.notFound("No such upload (it may have expired)")
}
