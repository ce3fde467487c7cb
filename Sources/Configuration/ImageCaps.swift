/// The most images a backend makes in one local day and in one calendar
/// month (`daily_images`, `monthly_images`); nil: no cap. Once one is
/// reached, nothing more is sent: the backend's jobs wait until the period
/// turns over.
public struct ImageCaps: Sendable, Equatable {
    public var daily: Int?
    public var monthly: Int?

    public init(daily: Int? = nil, monthly: Int? = nil) {
        self.daily = daily
        self.monthly = monthly
    }

    /// The values a cap takes.
    public static let range = 1...100_000_000
}
