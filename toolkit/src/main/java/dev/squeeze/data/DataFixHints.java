package dev.squeeze.data;

/** The "how to fix it" sentence that ends every data error, per data set. */
final class DataFixHints {
    private DataFixHints() {}

    /** Data set key ({@code "cifar10"}, {@code "mnist"}, …) of an {@link ImageSet} name like {@code "mnist/train"}. */
    static String keyOf(String setName) {
        int slash = setName.indexOf('/');
        return slash < 0 ? setName : setName.substring(0, slash);
    }

    static String forDataset(String key) {
        return "Fix: " + action(key);
    }

    /** The fix as a sentence fragment, starting lower-case, ending with a full stop. */
    static String action(String key) {
        return switch (key) {
            case "cifar10", "mnist" -> "re-download with ./squeeze data --download " + key
                    + " (Datasets.download(\"" + key + "\") in a notebook), or run"
                    + " ../shared/datasets/materialize.sh \"$SQUEEZE_DATA\" from a development checkout.";
            case "fashion-mnist" -> "re-download with ./squeeze data --download fashion-mnist"
                    + " (Datasets.download(\"fashion-mnist\") in a notebook), or on Debian reinstall"
                    + " the packaged copy with apt-get install --reinstall dataset-fashion-mnist.";
            case "cifar10-jpg" -> "re-extract the image folders (../shared/datasets/materialize.sh"
                    + " \"$SQUEEZE_DATA\" from a development checkout), or remove the bad file.";
            default -> "replace the file with an intact copy of the official distribution.";
        };
    }

    static String forSet(String setName) {
        return forDataset(keyOf(setName));
    }
}
